/*
 * The libnng reference for test/bench/nng.bench.ts: the same libnng 1.5.2
 * static archive our addon links (.toolchain/nng), driven from plain C with no
 * JS in the way, so the benchmark can tell how much of our gap to zeromq.js is
 * the binding and how much is the library. nng.bench.ts compiles it with
 * `cc -O2` at start and runs each end in its own process, as it does the JS ends.
 *
 *   _nng-reference MODE pull SIZE WARM COUNT     listen on tcp://127.0.0.1:0
 *   _nng-reference MODE push SIZE TOTAL PORT     dial 127.0.0.1:PORT
 *   _nng-reference MODE rep  SIZE                listen on tcp://127.0.0.1:0
 *   _nng-reference MODE req  SIZE WARM COUNT PORT
 *
 * MODE "aio" is the reference (the fastest way we found to drive nng from C):
 * one nng_aio per socket whose completion callback, on nng's own thread,
 * handles the message and starts the next operation at once (push:
 * nng_msg_alloc + nng_send_aio; pull: nng_recv_aio + nng_msg_free; req: send
 * then receive; rep: receive then send the request back). No thread hand-off
 * per message: nng's thread does the work itself.
 * MODE "sync" is the textbook loop of nng_sendmsg / nng_recvmsg with flags 0.
 * In nng 1.5.2 each such call allocates an aio, starts it and parks the
 * calling thread until nng's thread completes it: one hand-off between threads
 * per message, as our binding pays to reach the JS thread. It is measured to
 * show what that hand-off costs on its own, with no JS involved.
 *
 * Buffers match the JS ends: push/pull send and receive buffers of 1000
 * messages; req/rep with nng's defaults; one new message per send, as the JS
 * ends allocate.
 *
 * Reports are JSON lines on stdout: {"port":N} once listening, then
 * {"ns":N} (pull: nanoseconds from message WARM to the last), {"done":1}
 * (push), or {"p50":US,"p99":US} (req). push and pull then wait for stdin to
 * close before closing the socket, so nothing still queued is dropped; rep
 * serves until killed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/pipeline0/pull.h>
#include <nng/protocol/pipeline0/push.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/util/platform.h>

static void check(int rv, const char *what) {
	if (rv != 0) {
		fprintf(stderr, "_nng-reference: %s: %s\n", what, nng_strerror(rv));
		exit(1);
	}
}

static long long now_ns(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long) t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int by_value(const void *a, const void *b) {
	double x = *(const double *) a, y = *(const double *) b;
	return x < y ? -1 : x > y;
}

enum role { PULL, PUSH, REP, REQ };

/* The run: set up by main, advanced by either loop. */
static nng_socket s;
static enum role  role;
static size_t     size;
static long       warm, total, n; /* n: messages received (pull, req) or sent (push) */
static long long  start, sent_at;
static double    *us; /* req: round trips in microseconds, after warm-up */

static nng_msg *message(void) {
	nng_msg *m;
	check(nng_msg_alloc(&m, size), "msg alloc");
	memset(nng_msg_body(m), 'a', size);
	return m;
}

/* pull and req: one message in; true when the run is over. */
static int take(nng_msg *m) {
	if (nng_msg_len(m) != size) {
		fprintf(stderr, "_nng-reference: message %ld: %zu bytes, expected %zu\n", n, nng_msg_len(m), size);
		exit(1);
	}
	nng_msg_free(m);
	if (role == REQ && n >= warm) us[n - warm] = (double) (now_ns() - sent_at) / 1000.0;
	n++;
	if (role == PULL && n == warm) start = now_ns();
	return n == total;
}

static void sync_loop(void) {
	nng_msg *m;
	for (;;) {
		switch (role) {
		case PUSH:
			check(nng_sendmsg(s, message(), 0), "sendmsg"); /* takes the message */
			if (++n == total) return;
			break;
		case PULL:
			check(nng_recvmsg(s, &m, 0), "recvmsg");
			if (take(m)) return;
			break;
		case REP:
			check(nng_recvmsg(s, &m, 0), "recvmsg");
			check(nng_sendmsg(s, m, 0), "sendmsg");
			break;
		case REQ:
			sent_at = now_ns();
			check(nng_sendmsg(s, message(), 0), "sendmsg");
			check(nng_recvmsg(s, &m, 0), "recvmsg");
			if (take(m)) return;
			break;
		}
	}
}

/* MODE aio: one aio; its callback runs on nng's thread and starts the next operation. */
static nng_aio *aio;
static int      aio_sending; /* req and rep: the operation in flight is a send */
static nng_mtx *mtx;
static nng_cv  *cv;
static int      finished;

static void finish(void) {
	nng_mtx_lock(mtx);
	finished = 1;
	nng_cv_wake(cv);
	nng_mtx_unlock(mtx);
}

static void send_next(nng_msg *m) {
	aio_sending = 1;
	nng_aio_set_msg(aio, m);
	nng_send_aio(s, aio);
}

static void recv_next(void) {
	aio_sending = 0;
	nng_recv_aio(s, aio);
}

static void on_done(void *unused) {
	(void) unused;
	check(nng_aio_result(aio), aio_sending ? "send" : "recv");
	if (role == PUSH) {
		if (++n == total) return finish();
		send_next(message());
	} else if (role == PULL || (role == REQ && !aio_sending)) {
		if (take(nng_aio_get_msg(aio))) return finish();
		if (role == PULL) recv_next();
		else {
			sent_at = now_ns();
			send_next(message());
		}
	} else if (role == REP && !aio_sending) {
		send_next(nng_aio_get_msg(aio)); /* the request back as the reply */
	} else {
		recv_next(); /* req or rep after a send */
	}
}

static void aio_loop(void) {
	check(nng_mtx_alloc(&mtx), "mtx");
	check(nng_cv_alloc(&cv, mtx), "cv");
	check(nng_aio_alloc(&aio, on_done, NULL), "aio");
	if (role == PUSH || role == REQ) {
		sent_at = now_ns();
		send_next(message());
	} else {
		recv_next();
	}
	nng_mtx_lock(mtx);
	while (!finished) nng_cv_wait(cv);
	nng_mtx_unlock(mtx);
}

static void usage(void) {
	fprintf(stderr, "usage: _nng-reference aio|sync pull SIZE WARM COUNT | push SIZE TOTAL PORT | rep SIZE | req SIZE WARM COUNT PORT\n");
	exit(2);
}

int main(int argc, char **argv) {
	if (argc < 4) usage();
	int         use_aio = strcmp(argv[1], "aio") == 0;
	const char *r = argv[2];
	const char *port = NULL;
	size = strtoul(argv[3], NULL, 10);
	if (strcmp(r, "pull") == 0 && argc == 6) {
		role = PULL;
		warm = atol(argv[4]);
		total = warm + atol(argv[5]);
		check(nng_pull0_open(&s), "pull open");
		check(nng_socket_set_int(s, NNG_OPT_RECVBUF, 1000), "recvbuf");
	} else if (strcmp(r, "push") == 0 && argc == 6) {
		role = PUSH;
		total = atol(argv[4]);
		port = argv[5];
		check(nng_push0_open(&s), "push open");
		check(nng_socket_set_int(s, NNG_OPT_SENDBUF, 1000), "sendbuf");
	} else if (strcmp(r, "rep") == 0 && argc == 4) {
		role = REP;
		check(nng_rep0_open(&s), "rep open");
	} else if (strcmp(r, "req") == 0 && argc == 7) {
		role = REQ;
		warm = atol(argv[4]);
		total = warm + atol(argv[5]);
		port = argv[6];
		us = calloc((size_t) (total - warm), sizeof *us);
		check(nng_req0_open(&s), "req open");
	} else {
		usage();
	}

	if (port == NULL) { /* listen on an ephemeral loopback port and say which */
		nng_listener l;
		int          bound;
		check(nng_listen(s, "tcp://127.0.0.1:0", &l, 0), "listen");
		check(nng_listener_get_int(l, NNG_OPT_TCP_BOUND_PORT, &bound), "bound port");
		printf("{\"port\":%d}\n", bound);
		fflush(stdout);
	} else {
		char url[64];
		snprintf(url, sizeof url, "tcp://127.0.0.1:%s", port);
		check(nng_dial(s, url, NULL, 0), "dial"); /* flags 0: blocks until connected */
	}

	if (role == PULL && warm == 0) start = now_ns();
	if (use_aio) aio_loop();
	else sync_loop();

	if (role == PULL) printf("{\"ns\":%lld}\n", now_ns() - start);
	if (role == PUSH) printf("{\"done\":1}\n");
	if (role == REQ) {
		long count = total - warm;
		qsort(us, (size_t) count, sizeof *us, by_value);
		printf("{\"p50\":%.3f,\"p99\":%.3f}\n", us[count / 2], us[count * 99 / 100]);
	}
	fflush(stdout);
	if (role != REQ) { /* until the orchestrator closes our stdin */
		char c;
		while (read(0, &c, 1) < 0) {
		}
	}
	nng_close(s);
	return 0;
}
