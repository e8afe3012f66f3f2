{
  "targets": [
    {
      "target_name": "tnc_tpm",
      "sources": ["native/tpm.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "<!@(pkg-config --cflags tss2-esys tss2-tctildr tss2-mu tss2-rc)"],
      "libraries": ["<!@(pkg-config --libs tss2-esys tss2-tctildr tss2-mu tss2-rc)"]
    }
  ]
}
