// Thread pool for the CPU kernels (see thread_pool.h). Workers sleep on a condition
// variable between jobs; a job is published by bumping a generation counter.
#include "prism/kernels/thread_pool.h"

#include <algorithm>
#include <exception>
#include <utility>

namespace prism::kernels {

thread_pool::thread_pool(int n_threads) {
    if (n_threads <= 0)
        n_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    for (int i = 1; i < n_threads; ++i) m_workers.emplace_back([this, i] { worker_loop(i); });
}

thread_pool::~thread_pool() {
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
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
        {
            std::unique_lock lock(m_mutex);
            m_start_cv.wait(lock, [&] { return m_stop || m_generation != seen; });
            if (m_stop) return;
            seen = m_generation;
        }
        run_chunk(index);
        {
            std::lock_guard lock(m_mutex);
            if (--m_pending == 0) m_done_cv.notify_one();
        }
    }
}

void thread_pool::parallel_for(int64_t n, const std::function<void(int64_t, int64_t, int)>& fn) {
    if (n <= 0) return;
    if (m_workers.empty() || n == 1) {
        fn(0, n, 0);
        return;
    }
    {
        std::lock_guard lock(m_mutex);
        m_fn = &fn;
        m_n = n;
        m_pending = static_cast<int>(m_workers.size());
        m_error = nullptr;
        ++m_generation;
    }
    m_start_cv.notify_all();
    run_chunk(0);
    std::unique_lock lock(m_mutex);
    m_done_cv.wait(lock, [&] { return m_pending == 0; });
    m_fn = nullptr;
    if (m_error) std::rethrow_exception(std::exchange(m_error, nullptr));
}

}  // namespace prism::kernels
