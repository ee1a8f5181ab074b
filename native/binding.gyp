{
  "targets": [
    {
      "target_name": "genlab_native",
      "sources": ["src/module.cc", "src/gemm.cc", "src/conv.cc", "src/elementwise.cc", "src/batch_norm.cc", "src/adam.cc",
                  "src/fused_losses.cc", "src/resample.cc", "src/pool.cc", "src/dense.cc",
                  "src/random.cc", "src/copies.cc", "src/sparse_gemm.cc"],
      "cflags_cc": ["-O3", "-march=native", "-ffp-contract=off", "-fno-math-errno", "-fopenmp", "-std=c++17", "-fvisibility=hidden"],
      "cflags_cc!": ["-fno-exceptions"],
      "libraries": ["-ldnnl", "-fopenmp"]
    }
  ]
}
