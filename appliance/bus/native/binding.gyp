{
  "targets": [
    {
      "target_name": "alliance_nng",
      "sources": ["src/alliance_nng.c"],
      "variables": { "nng_prefix": "<(module_root_dir)/../../../.toolchain/nng" },
      "include_dirs": ["<(nng_prefix)/include"],
      "libraries": [
        "<(nng_prefix)/lib/libnng.a",
        "-Wl,--exclude-libs,ALL",
        "-lmbedtls", "-lmbedx509", "-lmbedcrypto", "-lpthread"
      ],
      "defines": ["NAPI_VERSION=8", "NNG_STATIC_LIB"],
      "cflags": ["-std=c11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-O2"]
    }
  ]
}
