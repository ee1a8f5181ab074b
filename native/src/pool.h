// Work sharing that never waits for a thread that has not started (pool.cc).
//
// OpenMP's fork/join splits a parallel region statically and joins every thread of the team: when the machine's other
// core is busy with another process, the caller waits for the sleeping helper to be scheduled (a time slice), so on
// 2 shared cores a 2-thread sgemm ran no faster than 1 thread (128×400×784: 0.72 ms either way at load 3, against
// 0.42 ms on 2 threads when the other core was free) and a spinning team ran 10× slower. Here a job is cut into
// chunks; the calling thread starts on them at once, helper threads claim chunks when (if) they get a core, and the
// caller waits only for chunks a helper has already begun. With the other core free the work is shared; with it busy
// the caller does it all, as fast as one thread.
//
// Results do not depend on which thread runs a chunk (each chunk is computed the same way on any thread), so runs
// stay reproducible. Chunks run with OpenMP and oneDNN on one thread (ThreadsScope(1) on the caller, a one-thread
// ICV on the helpers), and with asynchronous signals blocked (helpers block them for good; the caller holds them).
#pragma once
#include <algorithm>
#include <cstdint>
#include <functional>

namespace genlab {

// Threads that may share a job: the calling thread plus helpers (omp_get_max_threads() of the caller: all cores, or
// GENLAB_NATIVE_THREADS / threads(n)).
int workers();

// Runs run(0), …, run(chunks − 1), each exactly once, on the calling thread and on helpers that get to them; returns
// when all are done. A call from inside a chunk, or while another thread's job holds the pool, runs serially.
void shareWork(int64_t chunks, const std::function<void(int64_t)>& run);

// [begin, end) of chunk `i` when `n` items are cut into `chunks` nearly equal pieces whose starts are multiples of
// `align` (the last piece takes the rest).
inline void chunkRange(int64_t n, int64_t chunks, int64_t align, int64_t i, int64_t& begin, int64_t& end) {
  int64_t per = (n + chunks - 1) / chunks;
  per = (per + align - 1) / align * align;
  begin = i * per < n ? i * per : n;
  end = begin + per < n ? begin + per : n;
}

// Element-wise loops share their work from 2 × this many values on, in chunks of at least this many: ≈20–40 µs of a
// simple loop on one core, about what one wake-up of a helper costs.
constexpr int64_t kShareElements = int64_t(1) << 16;

// [0, n) cut into chunks of at least `grain` items, starting at multiples of `align`, shared by the workers:
// fn(begin, end) once per chunk; one call on the calling thread when n < 2·grain. Which thread runs a chunk does not
// change what it computes.
template <typename F>
void shareRange(int64_t n, int64_t grain, int64_t align, const F& fn) {
  grain = std::max<int64_t>(1, grain);
  const int64_t chunks = n < 2 * grain ? 1 : std::min<int64_t>(4 * workers(), n / grain);
  if (chunks <= 1) {
    if (n > 0) fn(int64_t(0), n);
    return;
  }
  shareWork(chunks, [&](int64_t i) {
    int64_t b, e;
    chunkRange(n, chunks, align, i, b, e);
    if (e > b) fn(b, e);
  });
}

// `n` values of an element-wise loop (chunks aligned to 16 values: no two threads write one cache line).
template <typename F>
void shareElements(int64_t n, const F& fn) { shareRange(n, kShareElements, 16, fn); }

// `rows` rows of `width` values each.
template <typename F>
void shareRows(int64_t rows, int64_t width, const F& fn) { shareRange(rows, kShareElements / std::max<int64_t>(1, width), 1, fn); }

}  // namespace genlab
