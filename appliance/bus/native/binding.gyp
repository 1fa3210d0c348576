{
  "targets": [
    {
      "target_name": "alliance_nng",
      "sources": ["src/alliance_nng.c"],
      "libraries": ["-lnng"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-std=c11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-O2"]
    }
  ]
}
