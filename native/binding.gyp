{
  "targets": [
    {
      "target_name": "genlab_native",
      "sources": ["genlab_native.cc"],
      "cflags_cc": ["-O3", "-march=native", "-ffp-contract=off", "-fno-math-errno", "-fopenmp", "-std=c++17"],
      "cflags_cc!": ["-fno-exceptions"],
      "libraries": ["-ldnnl", "-fopenmp"]
    }
  ]
}
