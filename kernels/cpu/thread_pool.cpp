// Thread pool for the CPU kernels (see thread_pool.h). A job is published by storing its
// function and size, then bumping m_generation with release order (under the mutex, so a
// worker about to sleep cannot miss it); workers acquire the counter, run their chunk and
// decrement m_pending. The caller runs chunk 0 itself and then spins until m_pending is 0.
#include "prism/kernels/thread_pool.h"

#include <algorithm>
#include <exception>
#include <utility>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace prism::kernels {

namespace {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#endif
}

}  // namespace

thread_pool::thread_pool(int n_threads) {
    if (n_threads <= 0)
        n_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    for (int i = 1; i < n_threads; ++i) m_workers.emplace_back([this, i] { worker_loop(i); });
}

thread_pool::~thread_pool() {
    {
        std::lock_guard lock(m_mutex);
        m_stop.store(true);
    }
    m_start_cv.notify_all();
    for (auto& t : m_workers) t.join();
}

void thread_pool::run_chunk(int index) {
    const int64_t parts = n_threads();
    const int64_t begin = m_n * index / parts;
    const int64_t end = m_n * (index + 1) / parts;
    if (begin >= end) return;
    try {
        (*m_fn)(begin, end, index);
    } catch (...) {
        std::lock_guard lock(m_mutex);
        if (!m_error) m_error = std::current_exception();
    }
}

void thread_pool::worker_loop(int index) {
    uint64_t seen = 0;
    for (;;) {
        uint64_t now = m_generation.load(std::memory_order_acquire);
        if (now == seen) {
            // Spin for a while: the next job usually follows within microseconds.
            const auto until = std::chrono::steady_clock::now() + spin_window;
            for (int i = 0; now == seen && !m_stop.load(std::memory_order_relaxed); ++i) {
                cpu_relax();
                now = m_generation.load(std::memory_order_acquire);
                if ((i & 255) == 255 && std::chrono::steady_clock::now() > until) break;
            }
        }
        if (now == seen) {
            std::unique_lock lock(m_mutex);
            m_start_cv.wait(lock, [&] {
                now = m_generation.load(std::memory_order_acquire);
                return m_stop.load() || now != seen;
            });
        }
        if (m_stop.load()) return;
        seen = now;
        run_chunk(index);
        m_pending.fetch_sub(1, std::memory_order_acq_rel);
    }
}

void thread_pool::parallel_for(int64_t n, const std::function<void(int64_t, int64_t, int)>& fn) {
    if (n <= 0) return;
    if (m_workers.empty() || n == 1) {
        fn(0, n, 0);
        return;
    }
    m_fn = &fn;
    m_n = n;
    m_error = nullptr;
    m_pending.store(static_cast<int>(m_workers.size()), std::memory_order_relaxed);
    {
        std::lock_guard lock(m_mutex);
        m_generation.fetch_add(1, std::memory_order_release);
    }
    m_start_cv.notify_all();
    run_chunk(0);
    for (int i = 0; m_pending.load(std::memory_order_acquire) != 0; ++i) {
        cpu_relax();
        if ((i & 1023) == 1023) std::this_thread::yield();  // a worker may be descheduled
    }
    m_fn = nullptr;
    if (m_error) std::rethrow_exception(std::exchange(m_error, nullptr));
}

}  // namespace prism::kernels
