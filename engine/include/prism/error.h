// Errors at the engine's public boundary. Internals throw prism::engine_error (or any
// std::exception) with context; public functions catch at the boundary and return
// prism::result<T>, a std::expected carrying a prism::error value.
#pragma once

#include <cstdint>
#include <expected>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace prism {

enum class errc {
    io,                ///< the file system refused (missing file, permission, short read)
    format,            ///< a file's content is malformed, truncated or hostile
    unsupported,       ///< well-formed but outside what this build handles
    invalid_argument,  ///< a caller-supplied parameter is out of range
    out_of_memory,     ///< a requested allocation exceeds the stated budget
    internal,          ///< a bug: an invariant did not hold
};

/// An error value: the category, a one-line message naming the problem (field, offset,
/// file), and where known the file and byte offset it concerns.
struct error {
    errc code = errc::internal;
    std::string message;
    std::string path;     ///< file the error concerns, empty if none
    int64_t offset = -1;  ///< byte offset in that file, -1 if not applicable
};

template <class T> using result = std::expected<T, error>;

/// `s` made safe for a one-line message: control bytes and invalid UTF-8 become \xNN
/// escapes (so names read from hostile files cannot split, cut or colour a line), and text
/// over max_bytes keeps its head and tail around " … " (the reason usually ends a message).
std::string printable(std::string_view s, size_t max_bytes = 1024);

/// What internal code throws; converted to prism::error at the public boundary. The
/// message passes through printable().
class engine_error : public std::runtime_error {
public:
    engine_error(errc code, const std::string& message, int64_t offset = -1)
        : std::runtime_error(printable(message)), m_code(code), m_offset(offset) {}
    errc code() const noexcept { return m_code; }
    int64_t offset() const noexcept { return m_offset; }

private:
    errc m_code;
    int64_t m_offset;
};

/// Convert the exception in flight into an error value (use inside catch (...)).
error current_exception_to_error(const std::string& path = {});

/// Run f() and return its value, or the error value for any exception it threw.
template <class F>
auto catch_to_result(F&& f, const std::string& path = {}) -> result<decltype(f())> {
    try {
        if constexpr (std::is_void_v<decltype(f())>) {
            std::forward<F>(f)();
            return {};
        } else {
            return std::forward<F>(f)();
        }
    } catch (...) {
        return std::unexpected(current_exception_to_error(path));
    }
}

}  // namespace prism
