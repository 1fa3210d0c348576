// N-API binding to libnng for Alliance.
//
// Shape: sockets and contexts are N-API externals; every asynchronous send or
// receive is an nng_aio whose completion runs on one of nng's threads. Those
// threads never touch V8: they append the finished operation to a queue under
// a mutex and, only when the queue was idle, ask the JS thread to drain it
// through one threadsafe function. The JS thread then hands the whole batch
// (ids, results, payloads) to a single dispatcher function, so a burst of N
// completions costs one hop, not N. Non-blocking sendNow/recvNow let the JS
// side skip nng's threads entirely when a message can move at once.
//
// Ownership: an operation belongs to the `outstanding` list from start until
// the JS thread has drained it; only the JS thread (or the env cleanup hook)
// frees it. The addon keeps process-wide state and loads on the main thread
// only.

#include <node_api.h>
#include <nng/nng.h>
#include <nng/protocol/bus0/bus.h>
#include <nng/protocol/pair1/pair.h>
#include <nng/protocol/pipeline0/pull.h>
#include <nng/protocol/pipeline0/push.h>
#include <nng/protocol/pubsub0/pub.h>
#include <nng/protocol/pubsub0/sub.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/protocol/survey0/respond.h>
#include <nng/protocol/survey0/survey.h>
#include <nng/supplemental/tls/tls.h>
#include <nng/supplemental/util/platform.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct op op;
typedef struct sock sock;

struct op {
	op *      prev, *next; // outstanding list: the owner
	op *      done_next;   // completion queue
	nng_aio * aio;
	int32_t   id;
	bool      is_recv;
	int       rv;
	nng_msg * msg; // a received message, until drained
	// A receive on a pumped socket waits as a sleep of its timeout, woken
	// (cancelled) by the pump; these three are under A.mtx.
	bool      is_waiter;
	bool      woken;
	sock *    waiting_on; // the socket whose waiter list holds it, or NULL
	op *      wnext;
};

struct sock {
	sock *     prev, *next;
	nng_socket s;
	nng_aio *  fast; // no callback: sendNow/recvNow wait on it with a zero timeout
	bool       open;
	// The receive pump (pull and sub only, see "receive pump" below).
	nng_aio *  pump;
	nng_msg ** ring; // PUMP_QUEUE slots; ring, head, count, pump_idle, pump_rv and waiters are under A.mtx
	uint32_t   head, count;
	size_t     bytes; // of the messages in the ring
	bool       pump_idle; // not posted: not started yet, queue full, or stopped by pump_rv
	int        pump_rv;   // why the pump stopped (NNG_ECLOSED), 0 while it runs
	op *       waiters;
};

typedef struct {
	nng_ctx c;
	bool    open;
} ctxw;

static struct {
	napi_env                 env;
	napi_threadsafe_function tsfn;
	bool                     tsfn_ref; // JS thread only
	nng_mtx *                mtx;
	op *                     outstanding;
	int64_t                  outstanding_count;
	op *                     done_head, *done_tail;
	bool                     signalled;
	bool                     closing;
	sock *                   sockets; // JS thread only
	int64_t                  sockets_open;
	op *                     free_ops; // JS thread only: finished operations kept with their aio
	int                      free_count;
	uint64_t                 batches, completions; // for the batching figure
} A;

static const napi_type_tag SOCK_TAG = { 0x6e6e67736f636b31ULL, 0xa11a9ce5a11a9ce5ULL };
static const napi_type_tag CTX_TAG  = { 0x6e6e67637478ab01ULL, 0xa11a9ce5a11a9ce5ULL };

// ---------------------------------------------------------------- helpers

static napi_value throw_nng(napi_env env, int rv, const char *what)
{
	char       buf[256];
	napi_value msg, err, code;
	snprintf(buf, sizeof buf, "%s: %s", what, nng_strerror(rv));
	napi_create_string_utf8(env, buf, NAPI_AUTO_LENGTH, &msg);
	napi_create_error(env, NULL, msg, &err);
	napi_create_int32(env, rv, &code);
	napi_set_named_property(env, err, "errno", code);
	napi_throw(env, err);
	return NULL;
}

static napi_value throw_type(napi_env env, const char *what)
{
	napi_throw_type_error(env, NULL, what);
	return NULL;
}

static bool args(napi_env env, napi_callback_info info, size_t want, napi_value *argv)
{
	size_t argc = want;
	if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) {
		return false;
	}
	for (size_t i = argc; i < want; i++) {
		napi_get_undefined(env, &argv[i]);
	}
	return true;
}

static void *tagged(napi_env env, napi_value v, const napi_type_tag *tag)
{
	bool  ok = false;
	void *p  = NULL;
	napi_valuetype t;
	if (napi_typeof(env, v, &t) != napi_ok || t != napi_external) {
		return NULL;
	}
	if (napi_check_object_type_tag(env, v, tag, &ok) != napi_ok || !ok) {
		return NULL;
	}
	napi_get_value_external(env, v, &p);
	return p;
}

static sock *get_sock(napi_env env, napi_value v)
{
	sock *s = tagged(env, v, &SOCK_TAG);
	if (s == NULL) {
		throw_type(env, "expected an nng socket");
		return NULL;
	}
	if (!s->open) {
		throw_nng(env, NNG_ECLOSED, "socket");
		return NULL;
	}
	return s;
}

// The socket or the context `v` is; false (with a TypeError thrown) for anything else.
static bool target_of(napi_env env, napi_value v, sock **s, ctxw **c, const char *what)
{
	*c = NULL;
	if ((*s = tagged(env, v, &SOCK_TAG)) != NULL || (*c = tagged(env, v, &CTX_TAG)) != NULL) {
		return true;
	}
	char msg[64];
	snprintf(msg, sizeof msg, "%s() needs a socket or a context", what);
	throw_type(env, msg);
	return false;
}

// A malloc'd copy of a string value; NULL (and *bad set) for anything else.
static char *str_value(napi_env env, napi_value v, bool *bad)
{
	size_t len;
	char * out;
	if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok || (out = malloc(len + 1)) == NULL) {
		*bad = true;
		return NULL;
	}
	napi_get_value_string_utf8(env, v, out, len + 1, &len);
	return out;
}

// A malloc'd copy of a string property, NULL if absent; *bad set on a wrong type.
static char *str_prop(napi_env env, napi_value obj, const char *name, bool *bad)
{
	napi_value     v;
	napi_valuetype t;
	if (napi_get_named_property(env, obj, name, &v) != napi_ok || napi_typeof(env, v, &t) != napi_ok) {
		*bad = true;
		return NULL;
	}
	if (t == napi_undefined || t == napi_null) {
		return NULL;
	}
	if (t != napi_string) {
		*bad = true;
		return NULL;
	}
	return str_value(env, v, bad);
}

static bool is_object(napi_env env, napi_value v)
{
	napi_valuetype t;
	return napi_typeof(env, v, &t) == napi_ok && t == napi_object;
}

static int32_t int_arg(napi_env env, napi_value v, int32_t fallback)
{
	int32_t out;
	return napi_get_value_int32(env, v, &out) == napi_ok ? out : fallback;
}

// ---------------------------------------------------------------- completions

static void waiter_unlink_locked(op *o)
{
	sock *s = o->waiting_on;
	if (s == NULL) {
		return;
	}
	for (op **pp = &s->waiters; *pp != NULL; pp = &(*pp)->wnext) {
		if (*pp == o) {
			*pp = o->wnext;
			break;
		}
	}
	o->waiting_on = NULL;
	o->wnext      = NULL;
}

// Wakes every waiter of `s`. Under A.mtx, so that no woken operation can
// complete, be drained and be reused before its aio is cancelled; cancelling
// only schedules its callback on nng's task threads.
static void waiters_wake_locked(sock *s)
{
	op *w = s->waiters;
	s->waiters = NULL;
	while (w != NULL) {
		op *next      = w->wnext;
		w->woken      = true;
		w->waiting_on = NULL;
		w->wnext      = NULL;
		nng_aio_cancel(w->aio);
		w = next;
	}
}

static void op_done(op *o);

static void op_cb(void *arg)
{
	op *o = arg;
	o->rv = nng_aio_result(o->aio);
	if (o->is_waiter) {
		// Woken by the pump: "try again" (0, no message); the sleep ran out: a timeout.
		nng_mtx_lock(A.mtx);
		waiter_unlink_locked(o);
		o->rv = o->woken ? 0 : (o->rv == 0 ? NNG_ETIMEDOUT : o->rv);
		nng_mtx_unlock(A.mtx);
	} else if (o->is_recv) {
		if (o->rv == 0) {
			o->msg = nng_aio_get_msg(o->aio);
		}
	} else if (o->rv != 0) {
		// A failed send leaves the message with us.
		nng_msg *m = nng_aio_get_msg(o->aio);
		if (m != NULL) {
			nng_msg_free(m);
		}
	}
	op_done(o);
}

// Queues a finished operation for the JS thread, waking it if the queue was idle.
static void op_done(op *o)
{
	bool wake = false;
	nng_mtx_lock(A.mtx);
	o->done_next = NULL;
	if (A.done_tail != NULL) {
		A.done_tail->done_next = o;
	} else {
		A.done_head = o;
	}
	A.done_tail = o;
	if (!A.signalled && !A.closing) {
		A.signalled = true;
		wake        = true;
	}
	nng_mtx_unlock(A.mtx);
	// `o` may be freed by the JS thread from here on: do not touch it.
	if (wake) {
		napi_call_threadsafe_function(A.tsfn, NULL, napi_tsfn_nonblocking);
	}
}

static void op_unlink_locked(op *o)
{
	if (o->prev != NULL) {
		o->prev->next = o->next;
	} else {
		A.outstanding = o->next;
	}
	if (o->next != NULL) {
		o->next->prev = o->prev;
	}
	A.outstanding_count--;
}

static void op_free(op *o)
{
	if (o->msg != NULL) {
		nng_msg_free(o->msg);
	}
	nng_aio_free(o->aio); // waits for op_cb to return if it is still running
	free(o);
}

// Allocating an aio costs libnng a getrandom() call; finished operations keep
// theirs for the next one (JS thread only).
#define FREE_OPS_MAX 1024

static void op_recycle(op *o)
{
	if (o->msg != NULL) {
		nng_msg_free(o->msg);
		o->msg = NULL;
	}
	// An aio that slept keeps libnng 1.5.2's "expiry is success" flag, so a later
	// send on it would report a timeout as done: waiters' aios are never reused.
	if (A.free_count >= FREE_OPS_MAX || A.closing || o->is_waiter) {
		op_free(o);
		return;
	}
	nng_aio_set_msg(o->aio, NULL);
	o->next    = A.free_ops;
	A.free_ops = o;
	A.free_count++;
}

static void update_ref(napi_env env)
{
	bool want = A.outstanding_count > 0;
	if (want && !A.tsfn_ref) {
		napi_ref_threadsafe_function(env, A.tsfn);
	} else if (!want && A.tsfn_ref) {
		napi_unref_threadsafe_function(env, A.tsfn);
	}
	A.tsfn_ref = want;
}

static void drain(napi_env env, napi_value dispatcher, void *context, void *data)
{
	op *       list;
	size_t     n = 0, i = 0;
	napi_value ids_ab, ids, rvs_ab, rvs, payloads, undef, argv[3];
	void *     idp, *rvp;

	nng_mtx_lock(A.mtx);
	list        = A.done_head;
	A.done_head = A.done_tail = NULL;
	A.signalled               = false;
	nng_mtx_unlock(A.mtx);
	if (env == NULL || list == NULL) {
		return; // torn down: the cleanup hook frees what is left
	}
	for (op *o = list; o != NULL; o = o->done_next) {
		n++;
	}
	A.batches++;
	A.completions += n;
	napi_create_arraybuffer(env, n * sizeof(int32_t), &idp, &ids_ab);
	napi_create_typedarray(env, napi_int32_array, n, ids_ab, 0, &ids);
	napi_create_arraybuffer(env, n * sizeof(int32_t), &rvp, &rvs_ab);
	napi_create_typedarray(env, napi_int32_array, n, rvs_ab, 0, &rvs);
	napi_create_array_with_length(env, n, &payloads);
	for (op *o = list, *next; o != NULL; o = next, i++) {
		next                 = o->done_next;
		((int32_t *) idp)[i] = o->id;
		((int32_t *) rvp)[i] = o->rv;
		if (o->msg != NULL) {
			napi_value buf;
			void *     dst;
			if (napi_create_buffer_copy(env, nng_msg_len(o->msg), nng_msg_body(o->msg), &dst, &buf) == napi_ok) {
				napi_set_element(env, payloads, (uint32_t) i, buf);
			} else {
				((int32_t *) rvp)[i] = NNG_ENOMEM;
			}
		}
	}
	nng_mtx_lock(A.mtx);
	for (op *o = list; o != NULL; o = o->done_next) {
		op_unlink_locked(o);
	}
	nng_mtx_unlock(A.mtx);
	for (op *o = list, *next; o != NULL; o = next) {
		next = o->done_next;
		op_recycle(o);
	}
	update_ref(env);
	argv[0] = ids;
	argv[1] = rvs;
	argv[2] = payloads;
	napi_get_undefined(env, &undef);
	napi_call_function(env, undef, dispatcher, 3, argv, NULL);
}

static op *op_start(napi_env env, int32_t id, bool is_recv, int32_t timeout_ms)
{
	op *o = A.free_ops;
	int rv;
	if (o != NULL) {
		A.free_ops = o->next;
		A.free_count--;
		nng_aio_wait(o->aio); // returns once its last callback has returned
	} else {
		if ((o = calloc(1, sizeof *o)) == NULL) {
			throw_nng(env, NNG_ENOMEM, "operation");
			return NULL;
		}
		if ((rv = nng_aio_alloc(&o->aio, op_cb, o)) != 0) {
			free(o);
			throw_nng(env, rv, "aio");
			return NULL;
		}
	}
	o->prev = o->next = o->done_next = NULL;
	o->rv                            = 0;
	o->msg                           = NULL;
	o->is_waiter = o->woken = false;
	o->waiting_on           = NULL;
	o->wnext                = NULL;
	nng_aio_set_timeout(o->aio, timeout_ms);
	o->id      = id;
	o->is_recv = is_recv;
	nng_mtx_lock(A.mtx);
	o->next = A.outstanding;
	if (A.outstanding != NULL) {
		A.outstanding->prev = o;
	}
	A.outstanding = o;
	A.outstanding_count++;
	nng_mtx_unlock(A.mtx);
	update_ref(env);
	return o;
}

// ---------------------------------------------------------------- receive pump
//
// pull0 in libnng 1.5.2 holds one message per pipe and reads the next only once
// the application has taken it, so a receiver that first hands each message to
// the JS thread runs in lockstep with it: one thread hop per message. Sockets
// that only stream messages in (pull, sub) get a pump instead: one aio,
// re-posted from its own callback on nng's thread, moves messages into a
// bounded ring that recvNow() pops on the JS thread. A single aio keeps their
// order. A receive that finds the ring empty waits as a "waiter": its aio
// sleeps for the timeout and the pump cancels (wakes) it when a message comes.

#define PUMP_QUEUE 1024
// And at most this many bytes, so a ring of large messages stays small too.
#define PUMP_BYTES (4u << 20)

static bool pump_room_locked(sock *s, uint32_t count, size_t bytes)
{
	return s->count < count && s->bytes < bytes;
}

// The oldest message of the ring, or NULL when it is empty.
static nng_msg *ring_pop_locked(sock *s)
{
	nng_msg *m;
	if (s->count == 0) {
		return NULL;
	}
	m       = s->ring[s->head];
	s->head = (s->head + 1) % PUMP_QUEUE;
	s->count--;
	s->bytes -= nng_msg_len(m);
	return m;
}

static void pump_cb(void *arg)
{
	sock *s     = arg;
	int   rv    = nng_aio_result(s->pump);
	bool  again = false;
	nng_mtx_lock(A.mtx);
	if (rv == 0) {
		nng_msg *m                              = nng_aio_get_msg(s->pump);
		s->ring[(s->head + s->count) % PUMP_QUEUE] = m;
		nng_aio_set_msg(s->pump, NULL);
		s->count++;
		s->bytes += nng_msg_len(m);
		again = pump_room_locked(s, PUMP_QUEUE, PUMP_BYTES) && !A.closing;
	} else if (rv == NNG_ECLOSED) {
		s->pump_rv = rv;
	}
	// Any other failure (out of memory, say) only pauses it: the next receive posts it again.
	s->pump_idle = !again;
	waiters_wake_locked(s);
	nng_mtx_unlock(A.mtx);
	if (again) {
		nng_recv_aio(s->s, s->pump);
	}
}

// Posts the pump if it is idle and the ring has room (JS thread).
static void pump_start(sock *s)
{
	bool post = false;
	nng_mtx_lock(A.mtx);
	// Re-armed once half drained, so a steady reader does not toggle it per message.
	if (s->pump_idle && s->pump_rv == 0 && pump_room_locked(s, PUMP_QUEUE / 2 + 1, PUMP_BYTES / 2 + 1) && s->open) {
		s->pump_idle = false;
		post         = true;
	}
	nng_mtx_unlock(A.mtx);
	if (post) {
		nng_recv_aio(s->s, s->pump);
	}
}

// After nng_close(): waits for the pump's last callback, then frees it and what it queued.
static void pump_free(sock *s)
{
	if (s->pump == NULL) {
		return;
	}
	nng_aio_free(s->pump);
	s->pump = NULL;
	nng_mtx_lock(A.mtx);
	waiters_wake_locked(s);
	for (nng_msg *m; (m = ring_pop_locked(s)) != NULL;) {
		nng_msg_free(m);
	}
	nng_mtx_unlock(A.mtx);
	free(s->ring);
	s->ring = NULL;
}

// ---------------------------------------------------------------- lifecycle

static void cleanup(void *arg)
{
	A.closing = true;
	for (sock *s = A.sockets; s != NULL; s = s->next) {
		if (s->open) {
			s->open = false;
			A.sockets_open--;
			nng_close(s->s); // pending aios finish with NNG_ECLOSED
		}
	}
	// Before the operations below are freed: a pump callback may still be waking them.
	for (sock *s = A.sockets; s != NULL; s = s->next) {
		pump_free(s);
	}
	for (;;) {
		op *o;
		nng_mtx_lock(A.mtx);
		if ((o = A.outstanding) != NULL) {
			op_unlink_locked(o);
		}
		nng_mtx_unlock(A.mtx);
		if (o == NULL) {
			break;
		}
		nng_aio_stop(o->aio);
		op_free(o);
	}
	nng_mtx_lock(A.mtx);
	A.done_head = A.done_tail = NULL;
	nng_mtx_unlock(A.mtx);
	while (A.free_ops != NULL) {
		op *o      = A.free_ops;
		A.free_ops = o->next;
		op_free(o);
	}
	A.free_count = 0;
	for (sock *s = A.sockets; s != NULL; s = s->next) {
		if (s->fast != NULL) {
			nng_aio_free(s->fast);
			s->fast = NULL;
		}
	}
	napi_release_threadsafe_function(A.tsfn, napi_tsfn_abort);
}

static napi_value js_init(napi_env env, napi_callback_info info)
{
	napi_value argv[1], name;
	napi_valuetype t;
	int rv;
	if (!args(env, info, 1, argv) || napi_typeof(env, argv[0], &t) != napi_ok || t != napi_function) {
		return throw_type(env, "init(dispatcher) needs a function");
	}
	if (A.env != NULL) {
		return throw_type(env, "alliance-nng is already initialised (it loads once, on the main thread)");
	}
	if ((rv = nng_mtx_alloc(&A.mtx)) != 0) {
		return throw_nng(env, rv, "mutex");
	}
	napi_create_string_utf8(env, "alliance-nng completions", NAPI_AUTO_LENGTH, &name);
	if (napi_create_threadsafe_function(env, argv[0], NULL, name, 0, 1, NULL, NULL, NULL, drain, &A.tsfn) != napi_ok) {
		return throw_type(env, "cannot create the completion channel");
	}
	napi_unref_threadsafe_function(env, A.tsfn);
	A.env = env;
	napi_add_env_cleanup_hook(env, cleanup, NULL);
	return NULL;
}

// ---------------------------------------------------------------- sockets

static const struct {
	const char *name;
	int (*open)(nng_socket *);
} PROTOCOLS[] = {
	{ "req", nng_req0_open },
	{ "rep", nng_rep0_open },
	{ "pub", nng_pub0_open },
	{ "sub", nng_sub0_open },
	{ "push", nng_push0_open },
	{ "pull", nng_pull0_open },
	{ "surveyor", nng_surveyor0_open },
	{ "respondent", nng_respondent0_open },
	{ "bus", nng_bus0_open },
	{ "pair1", nng_pair1_open },
};

// Closes the socket (pending operations finish with NNG_ECLOSED) and frees its fast-path aio.
static void sock_shut(sock *s)
{
	if (s->open) {
		s->open = false;
		A.sockets_open--;
		nng_close(s->s);
	}
	pump_free(s);
	if (s->fast != NULL) {
		nng_aio_free(s->fast);
		s->fast = NULL;
	}
}

static void sock_finalize(napi_env env, void *data, void *hint)
{
	sock *s = data;
	sock_shut(s);
	if (s->prev != NULL) {
		s->prev->next = s->next;
	} else {
		A.sockets = s->next;
	}
	if (s->next != NULL) {
		s->next->prev = s->prev;
	}
	free(s);
}

static napi_value js_open(napi_env env, napi_callback_info info)
{
	napi_value argv[2], ext;
	char       name[32];
	size_t     len;
	sock *     s;
	bool       pumped = false;
	int        rv     = NNG_ENOTSUP;
	if (A.env == NULL) {
		return throw_type(env, "call init() first");
	}
	if (!args(env, info, 2, argv) || napi_get_value_string_utf8(env, argv[0], name, sizeof name, &len) != napi_ok) {
		return throw_type(env, "open(protocol, pumped) needs a protocol name");
	}
	napi_get_value_bool(env, argv[1], &pumped); // absent: not pumped
	if ((s = calloc(1, sizeof *s)) == NULL) {
		return throw_nng(env, NNG_ENOMEM, "socket");
	}
	for (size_t i = 0; i < sizeof PROTOCOLS / sizeof PROTOCOLS[0]; i++) {
		if (strcmp(PROTOCOLS[i].name, name) == 0) {
			rv = PROTOCOLS[i].open(&s->s);
			break;
		}
	}
	if (rv == 0 && (rv = nng_aio_alloc(&s->fast, NULL, NULL)) != 0) {
		nng_close(s->s);
	}
	if (rv == 0 && pumped) {
		s->pump_idle = true;
		if ((s->ring = calloc(PUMP_QUEUE, sizeof *s->ring)) == NULL) {
			rv = NNG_ENOMEM;
		} else if ((rv = nng_aio_alloc(&s->pump, pump_cb, s)) != 0) {
			free(s->ring);
		} else {
			// Not the socket's recv-timeout, which nng would apply to it: the pump waits for ever.
			nng_aio_set_timeout(s->pump, NNG_DURATION_INFINITE);
		}
		if (rv != 0) {
			nng_aio_free(s->fast);
			nng_close(s->s);
		}
	}
	if (rv != 0) {
		free(s);
		return throw_nng(env, rv, name);
	}
	s->open = true;
	A.sockets_open++;
	s->next = A.sockets;
	if (A.sockets != NULL) {
		A.sockets->prev = s;
	}
	A.sockets = s;
	napi_create_external(env, s, sock_finalize, NULL, &ext);
	napi_type_tag_object(env, ext, &SOCK_TAG);
	return ext;
}

static napi_value js_close(napi_env env, napi_callback_info info)
{
	napi_value argv[1];
	sock *     s;
	if (!args(env, info, 1, argv) || (s = tagged(env, argv[0], &SOCK_TAG)) == NULL) {
		return throw_type(env, "close(socket) needs a socket");
	}
	sock_shut(s);
	return NULL;
}

static int tls_from(napi_env env, napi_value obj, nng_tls_mode mode, nng_tls_config **out)
{
	bool            bad  = false;
	char *          cert = str_prop(env, obj, "cert", &bad);
	char *          key  = str_prop(env, obj, "key", &bad);
	char *          ca   = str_prop(env, obj, "ca", &bad);
	char *          sni  = str_prop(env, obj, "serverName", &bad);
	char *          auth = str_prop(env, obj, "authMode", &bad);
	nng_tls_config *cfg  = NULL;
	int             rv   = bad ? NNG_EINVAL : 0;
	nng_tls_auth_mode am = NNG_TLS_AUTH_MODE_REQUIRED;
	if (rv == 0 && auth != NULL) {
		if (strcmp(auth, "none") == 0) {
			am = NNG_TLS_AUTH_MODE_NONE;
		} else if (strcmp(auth, "optional") == 0) {
			am = NNG_TLS_AUTH_MODE_OPTIONAL;
		} else if (strcmp(auth, "required") != 0) {
			rv = NNG_EINVAL;
		}
	}
	if (rv == 0 && (cert == NULL) != (key == NULL)) {
		rv = NNG_EINVAL; // a certificate without its key, or the reverse
	}
	if (rv == 0) {
		rv = nng_tls_config_alloc(&cfg, mode);
	}
	if (rv == 0 && cert != NULL) {
		rv = nng_tls_config_own_cert(cfg, cert, key, NULL);
	}
	if (rv == 0 && ca != NULL) {
		rv = nng_tls_config_ca_chain(cfg, ca, NULL);
	}
	if (rv == 0 && sni != NULL) {
		rv = nng_tls_config_server_name(cfg, sni);
	}
	if (rv == 0) {
		rv = nng_tls_config_auth_mode(cfg, am);
	}
	if (rv != 0 && cfg != NULL) {
		nng_tls_config_free(cfg);
		cfg = NULL;
	}
	free(cert);
	free(key);
	free(ca);
	free(sni);
	free(auth);
	*out = cfg;
	return rv;
}

// A number property of an options object: true and *out set when present.
static bool num_prop(napi_env env, napi_value obj, const char *name, int32_t *out)
{
	napi_value     v;
	napi_valuetype t;
	return napi_get_named_property(env, obj, name, &v) == napi_ok && napi_typeof(env, v, &t) == napi_ok && t == napi_number &&
	    napi_get_value_int32(env, v, out) == napi_ok;
}

// The `tls` property of an options object as a config: 0 and *cfg NULL when there is none.
static int tls_prop(napi_env env, napi_value obj, nng_tls_mode mode, nng_tls_config **cfg)
{
	napi_value tls;
	*cfg = NULL;
	if (napi_get_named_property(env, obj, "tls", &tls) != napi_ok || !is_object(env, tls)) {
		return 0;
	}
	return tls_from(env, tls, mode, cfg);
}

// listen(socket, url, { tls?, ipcPermissions?, recvMaxSize? }) -> { id, port }
static napi_value js_listen(napi_env env, napi_callback_info info)
{
	napi_value     argv[3], result, v;
	sock *         s;
	char *         url;
	bool           bad = false;
	nng_listener   l;
	nng_tls_config *cfg = NULL;
	int            rv, port = 0;
	if (!args(env, info, 3, argv) || (s = get_sock(env, argv[0])) == NULL) {
		return NULL;
	}
	if ((url = str_value(env, argv[1], &bad)) == NULL) {
		return throw_type(env, "listen() needs a URL");
	}
	if ((rv = nng_listener_create(&l, s->s, url)) != 0) {
		free(url);
		return throw_nng(env, rv, "listen");
	}
	free(url);
	if (is_object(env, argv[2])) {
		int32_t n;
		if ((rv = tls_prop(env, argv[2], NNG_TLS_MODE_SERVER, &cfg)) == 0 && cfg != NULL) {
			rv = nng_listener_set_ptr(l, NNG_OPT_TLS_CONFIG, cfg);
			nng_tls_config_free(cfg); // the listener holds its own reference
		}
		if (rv == 0 && num_prop(env, argv[2], "ipcPermissions", &n)) {
			rv = nng_listener_set_int(l, NNG_OPT_IPC_PERMISSIONS, n);
		}
		if (rv == 0 && num_prop(env, argv[2], "recvMaxSize", &n)) {
			rv = nng_listener_set_size(l, NNG_OPT_RECVMAXSZ, (size_t) n);
		}
	}
	if (rv == 0) {
		rv = nng_listener_start(l, 0);
	}
	if (rv != 0) {
		nng_listener_close(l);
		return throw_nng(env, rv, "listen");
	}
	if (nng_listener_get_int(l, NNG_OPT_TCP_BOUND_PORT, &port) != 0) {
		port = 0;
	}
	napi_create_object(env, &result);
	napi_create_int32(env, nng_listener_id(l), &v);
	napi_set_named_property(env, result, "id", v);
	napi_create_int32(env, port, &v);
	napi_set_named_property(env, result, "port", v);
	return result;
}

// dial(socket, url, { tls?, block?, recvMaxSize? }) -> dialer id
static napi_value js_dial(napi_env env, napi_callback_info info)
{
	napi_value     argv[3], result;
	sock *         s;
	char *         url;
	bool           bad = false, block = false;
	nng_dialer     d;
	nng_tls_config *cfg = NULL;
	int            rv;
	if (!args(env, info, 3, argv) || (s = get_sock(env, argv[0])) == NULL) {
		return NULL;
	}
	if ((url = str_value(env, argv[1], &bad)) == NULL) {
		return throw_type(env, "dial() needs a URL");
	}
	if ((rv = nng_dialer_create(&d, s->s, url)) != 0) {
		free(url);
		return throw_nng(env, rv, "dial");
	}
	free(url);
	if (is_object(env, argv[2])) {
		napi_value blk;
		int32_t    n;
		if ((rv = tls_prop(env, argv[2], NNG_TLS_MODE_CLIENT, &cfg)) == 0 && cfg != NULL) {
			rv = nng_dialer_set_ptr(d, NNG_OPT_TLS_CONFIG, cfg);
			nng_tls_config_free(cfg); // the dialer holds its own reference
		}
		napi_get_named_property(env, argv[2], "block", &blk);
		napi_get_value_bool(env, blk, &block);
		if (rv == 0 && num_prop(env, argv[2], "recvMaxSize", &n)) {
			rv = nng_dialer_set_size(d, NNG_OPT_RECVMAXSZ, (size_t) n);
		}
	}
	if (rv == 0) {
		rv = nng_dialer_start(d, block ? 0 : NNG_FLAG_NONBLOCK);
	}
	if (rv != 0) {
		nng_dialer_close(d);
		return throw_nng(env, rv, "dial");
	}
	napi_create_int32(env, nng_dialer_id(d), &result);
	return result;
}

static napi_value js_endpoint_close(napi_env env, napi_callback_info info, bool listener)
{
	napi_value argv[1];
	int        rv;
	if (!args(env, info, 1, argv)) {
		return NULL;
	}
	if (listener) {
		nng_listener l = NNG_LISTENER_INITIALIZER;
		l.id           = (uint32_t) int_arg(env, argv[0], 0);
		rv             = nng_listener_close(l);
	} else {
		nng_dialer d = NNG_DIALER_INITIALIZER;
		d.id         = (uint32_t) int_arg(env, argv[0], 0);
		rv           = nng_dialer_close(d);
	}
	if (rv != 0 && rv != NNG_ECLOSED && rv != NNG_ENOENT) {
		return throw_nng(env, rv, listener ? "close listener" : "close dialer");
	}
	return NULL;
}

static napi_value js_listener_close(napi_env env, napi_callback_info info)
{
	return js_endpoint_close(env, info, true);
}

static napi_value js_dialer_close(napi_env env, napi_callback_info info)
{
	return js_endpoint_close(env, info, false);
}

// ---------------------------------------------------------------- contexts

static void ctx_finalize(napi_env env, void *data, void *hint)
{
	ctxw *c = data;
	if (c->open && !A.closing) {
		nng_ctx_close(c->c);
	}
	free(c);
}

static napi_value js_ctx_open(napi_env env, napi_callback_info info)
{
	napi_value argv[1], ext;
	sock *     s;
	ctxw *     c;
	int        rv;
	if (!args(env, info, 1, argv) || (s = get_sock(env, argv[0])) == NULL) {
		return NULL;
	}
	if ((c = calloc(1, sizeof *c)) == NULL) {
		return throw_nng(env, NNG_ENOMEM, "context");
	}
	if ((rv = nng_ctx_open(&c->c, s->s)) != 0) {
		free(c);
		return throw_nng(env, rv, "context");
	}
	c->open = true;
	napi_create_external(env, c, ctx_finalize, NULL, &ext);
	napi_type_tag_object(env, ext, &CTX_TAG);
	return ext;
}

static napi_value js_ctx_close(napi_env env, napi_callback_info info)
{
	napi_value argv[1];
	ctxw *     c;
	if (!args(env, info, 1, argv) || (c = tagged(env, argv[0], &CTX_TAG)) == NULL) {
		return throw_type(env, "ctxClose(context) needs a context");
	}
	if (c->open) {
		c->open = false;
		nng_ctx_close(c->c);
	}
	return NULL;
}

// ---------------------------------------------------------------- options

// setOption(target, name, type, value): type is ms | int | size | bool | string | bytes
static napi_value js_set_option(napi_env env, napi_callback_info info)
{
	napi_value argv[4];
	char       name[64], type[8];
	size_t     len;
	sock *     s;
	ctxw *     c = NULL;
	int        rv;
	if (!args(env, info, 4, argv)) {
		return NULL;
	}
	if (!target_of(env, argv[0], &s, &c, "setOption")) {
		return NULL;
	}
	if ((s != NULL && !s->open) || (c != NULL && !c->open)) {
		return throw_nng(env, NNG_ECLOSED, "setOption");
	}
	if (napi_get_value_string_utf8(env, argv[1], name, sizeof name, &len) != napi_ok ||
	    napi_get_value_string_utf8(env, argv[2], type, sizeof type, &len) != napi_ok) {
		return throw_type(env, "setOption() needs a name and a type");
	}
	if (strcmp(type, "bytes") == 0 || strcmp(type, "string") == 0) {
		void * data;
		size_t n;
		char * str = NULL;
		bool   is_buf;
		napi_is_buffer(env, argv[3], &is_buf);
		if (is_buf) {
			napi_get_buffer_info(env, argv[3], &data, &n);
		} else {
			napi_get_value_string_utf8(env, argv[3], NULL, 0, &n);
			if ((str = malloc(n + 1)) == NULL) {
				return throw_nng(env, NNG_ENOMEM, name);
			}
			napi_get_value_string_utf8(env, argv[3], str, n + 1, &n);
			data = str;
			if (strcmp(type, "string") == 0) {
				n++; // strings go with their terminator
			}
		}
		rv = s != NULL ? nng_socket_set(s->s, name, data, n) : nng_ctx_set(c->c, name, data, n);
		free(str);
	} else if (strcmp(type, "bool") == 0) {
		bool b = false;
		napi_get_value_bool(env, argv[3], &b);
		rv = s != NULL ? nng_socket_set_bool(s->s, name, b) : nng_ctx_set_bool(c->c, name, b);
	} else {
		double d = 0;
		if (napi_get_value_double(env, argv[3], &d) != napi_ok) {
			return throw_type(env, "setOption() value must be a number");
		}
		if (strcmp(type, "ms") == 0) {
			rv = s != NULL ? nng_socket_set_ms(s->s, name, (nng_duration) d) : nng_ctx_set_ms(c->c, name, (nng_duration) d);
		} else if (strcmp(type, "int") == 0) {
			rv = s != NULL ? nng_socket_set_int(s->s, name, (int) d) : nng_ctx_set_int(c->c, name, (int) d);
		} else if (strcmp(type, "size") == 0) {
			rv = s != NULL ? nng_socket_set_size(s->s, name, (size_t) d) : nng_ctx_set_size(c->c, name, (size_t) d);
		} else {
			return throw_type(env, "setOption() type must be ms, int, size, bool, string or bytes");
		}
	}
	if (rv != 0) {
		return throw_nng(env, rv, name);
	}
	return NULL;
}

// ---------------------------------------------------------------- messages

static nng_msg *msg_from(napi_env env, napi_value v)
{
	void *   data;
	size_t   n;
	bool     is_buf;
	nng_msg *m;
	int      rv;
	if (napi_is_buffer(env, v, &is_buf) != napi_ok || !is_buf) {
		throw_type(env, "a message must be a Buffer");
		return NULL;
	}
	napi_get_buffer_info(env, v, &data, &n);
	if ((rv = nng_msg_alloc(&m, n)) != 0) {
		throw_nng(env, rv, "message");
		return NULL;
	}
	if (n > 0) {
		memcpy(nng_msg_body(m), data, n);
	}
	return m;
}

// sendNow(socket, buffer) -> 0 or an nng error number (8 = try the async way)
static napi_value js_send_now(napi_env env, napi_callback_info info)
{
	napi_value argv[2], out;
	sock *     s;
	nng_msg *  m;
	int        rv;
	if (!args(env, info, 2, argv) || (s = get_sock(env, argv[0])) == NULL || (m = msg_from(env, argv[1])) == NULL) {
		return NULL;
	}
	// What nng_sendmsg(NNG_FLAG_NONBLOCK) does, on the socket's own aio instead of a new one each time.
	nng_aio_set_timeout(s->fast, NNG_DURATION_ZERO);
	nng_aio_set_msg(s->fast, m);
	nng_send_aio(s->s, s->fast);
	nng_aio_wait(s->fast);
	if ((rv = nng_aio_result(s->fast)) != 0) {
		nng_msg_free(nng_aio_get_msg(s->fast));
		if (rv == NNG_ETIMEDOUT) {
			rv = NNG_EAGAIN;
		}
	}
	nng_aio_set_msg(s->fast, NULL);
	napi_create_int32(env, rv, &out);
	return out;
}

// recvNow(socket) -> Buffer, or an nng error number (8 = nothing waiting)
static napi_value js_recv_now(napi_env env, napi_callback_info info)
{
	napi_value argv[1], out;
	sock *     s;
	nng_msg *  m;
	void *     dst;
	int        rv;
	if (!args(env, info, 1, argv) || (s = get_sock(env, argv[0])) == NULL) {
		return NULL;
	}
	if (s->pump != NULL) {
		nng_mtx_lock(A.mtx);
		m  = ring_pop_locked(s);
		rv = s->pump_rv != 0 ? s->pump_rv : NNG_EAGAIN;
		nng_mtx_unlock(A.mtx);
		pump_start(s);
		if (m == NULL) {
			napi_create_int32(env, rv, &out);
			return out;
		}
		napi_create_buffer_copy(env, nng_msg_len(m), nng_msg_body(m), &dst, &out);
		nng_msg_free(m);
		return out;
	}
	nng_aio_set_timeout(s->fast, NNG_DURATION_ZERO);
	nng_recv_aio(s->s, s->fast);
	nng_aio_wait(s->fast);
	if ((rv = nng_aio_result(s->fast)) != 0) {
		napi_create_int32(env, rv == NNG_ETIMEDOUT ? NNG_EAGAIN : rv, &out);
		return out;
	}
	m = nng_aio_get_msg(s->fast);
	nng_aio_set_msg(s->fast, NULL);
	napi_create_buffer_copy(env, nng_msg_len(m), nng_msg_body(m), &dst, &out);
	nng_msg_free(m);
	return out;
}

// send(target, buffer, id, timeoutMs) / recv(target, id, timeoutMs): completion goes to the dispatcher
static napi_value js_send(napi_env env, napi_callback_info info)
{
	napi_value argv[4];
	sock *     s;
	ctxw *     c = NULL;
	nng_msg *  m;
	op *       o;
	if (!args(env, info, 4, argv)) {
		return NULL;
	}
	if (!target_of(env, argv[0], &s, &c, "send")) {
		return NULL;
	}
	if ((m = msg_from(env, argv[1])) == NULL) {
		return NULL;
	}
	if ((o = op_start(env, int_arg(env, argv[2], 0), false, int_arg(env, argv[3], NNG_DURATION_DEFAULT))) == NULL) {
		nng_msg_free(m);
		return NULL;
	}
	nng_aio_set_msg(o->aio, m);
	if (s != NULL) {
		nng_send_aio(s->s, o->aio); // on a closed socket this completes with NNG_ECLOSED
	} else {
		nng_ctx_send(c->c, o->aio);
	}
	return NULL;
}

// A receive on a pumped socket: completes with no message once one may be in
// the ring (JS then pops it with recvNow), or with NNG_ETIMEDOUT.
static napi_value recv_wait(napi_env env, sock *s, int32_t id, int32_t timeout_ms)
{
	op * o;
	bool ready;
	if (timeout_ms == NNG_DURATION_DEFAULT && nng_socket_get_ms(s->s, NNG_OPT_RECVTIMEO, &timeout_ms) != 0) {
		timeout_ms = NNG_DURATION_INFINITE;
	}
	if (timeout_ms < 0) {
		timeout_ms = INT32_MAX; // a sleep of -1 would end at once; 24 days is for ever here
	}
	if ((o = op_start(env, id, true, NNG_DURATION_INFINITE)) == NULL) {
		return NULL;
	}
	o->is_waiter = true;
	nng_mtx_lock(A.mtx);
	ready = s->count > 0 || s->pump_rv != 0;
	if (!ready) {
		o->waiting_on = s;
		o->wnext      = s->waiters;
		s->waiters    = o;
	}
	nng_mtx_unlock(A.mtx);
	pump_start(s);
	if (ready) {
		op_done(o); // "try again" at once, without a trip through nng's timer thread
		return NULL;
	}
	nng_sleep_aio(timeout_ms, o->aio);
	// The pump may have woken it before the sleep began, when cancelling did nothing.
	nng_mtx_lock(A.mtx);
	if (o->woken) {
		nng_aio_cancel(o->aio);
	}
	nng_mtx_unlock(A.mtx);
	return NULL;
}

static napi_value js_recv(napi_env env, napi_callback_info info)
{
	napi_value argv[3];
	sock *     s;
	ctxw *     c = NULL;
	op *       o;
	if (!args(env, info, 3, argv)) {
		return NULL;
	}
	if (!target_of(env, argv[0], &s, &c, "recv")) {
		return NULL;
	}
	if (s != NULL && s->pump != NULL && s->open) {
		return recv_wait(env, s, int_arg(env, argv[1], 0), int_arg(env, argv[2], NNG_DURATION_DEFAULT));
	}
	if ((o = op_start(env, int_arg(env, argv[1], 0), true, int_arg(env, argv[2], NNG_DURATION_DEFAULT))) == NULL) {
		return NULL;
	}
	if (s != NULL) {
		nng_recv_aio(s->s, o->aio);
	} else {
		nng_ctx_recv(c->c, o->aio);
	}
	return NULL;
}

// cancel(id) -> whether an operation with that id was still pending
static napi_value js_cancel(napi_env env, napi_callback_info info)
{
	napi_value argv[1], out;
	int32_t    id;
	nng_aio *  aio = NULL;
	if (!args(env, info, 1, argv)) {
		return NULL;
	}
	id = int_arg(env, argv[0], -1);
	nng_mtx_lock(A.mtx);
	for (op *o = A.outstanding; o != NULL; o = o->next) {
		if (o->id == id) {
			aio = o->aio;
			break;
		}
	}
	nng_mtx_unlock(A.mtx);
	// Only the JS thread frees operations, and we are it: aio stays valid here.
	if (aio != NULL) {
		nng_aio_cancel(aio);
	}
	napi_get_boolean(env, aio != NULL, &out);
	return out;
}

static napi_value js_stats(napi_env env, napi_callback_info info)
{
	napi_value out, v;
	napi_create_object(env, &out);
	napi_create_int64(env, A.outstanding_count, &v);
	napi_set_named_property(env, out, "outstanding", v);
	napi_create_int64(env, A.sockets_open, &v);
	napi_set_named_property(env, out, "socketsOpen", v);
	napi_create_double(env, (double) A.batches, &v);
	napi_set_named_property(env, out, "batches", v);
	napi_create_double(env, (double) A.completions, &v);
	napi_set_named_property(env, out, "completions", v);
	return out;
}

static napi_value js_strerror(napi_env env, napi_callback_info info)
{
	napi_value argv[1], out;
	if (!args(env, info, 1, argv)) {
		return NULL;
	}
	napi_create_string_utf8(env, nng_strerror(int_arg(env, argv[0], 0)), NAPI_AUTO_LENGTH, &out);
	return out;
}

NAPI_MODULE_INIT()
{
	napi_property_descriptor props[] = {
		{ "init", NULL, js_init, NULL, NULL, NULL, napi_default, NULL },
		{ "open", NULL, js_open, NULL, NULL, NULL, napi_default, NULL },
		{ "close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL },
		{ "listen", NULL, js_listen, NULL, NULL, NULL, napi_default, NULL },
		{ "dial", NULL, js_dial, NULL, NULL, NULL, napi_default, NULL },
		{ "listenerClose", NULL, js_listener_close, NULL, NULL, NULL, napi_default, NULL },
		{ "dialerClose", NULL, js_dialer_close, NULL, NULL, NULL, napi_default, NULL },
		{ "ctxOpen", NULL, js_ctx_open, NULL, NULL, NULL, napi_default, NULL },
		{ "ctxClose", NULL, js_ctx_close, NULL, NULL, NULL, napi_default, NULL },
		{ "setOption", NULL, js_set_option, NULL, NULL, NULL, napi_default, NULL },
		{ "sendNow", NULL, js_send_now, NULL, NULL, NULL, napi_default, NULL },
		{ "recvNow", NULL, js_recv_now, NULL, NULL, NULL, napi_default, NULL },
		{ "send", NULL, js_send, NULL, NULL, NULL, napi_default, NULL },
		{ "recv", NULL, js_recv, NULL, NULL, NULL, napi_default, NULL },
		{ "cancel", NULL, js_cancel, NULL, NULL, NULL, napi_default, NULL },
		{ "stats", NULL, js_stats, NULL, NULL, NULL, napi_default, NULL },
		{ "strerror", NULL, js_strerror, NULL, NULL, NULL, napi_default, NULL },
	};
	napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
	return exports;
}
