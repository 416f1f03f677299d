// Boundary conversion of exceptions into prism::error values (see error.h).
#include "prism/error.h"

#include <algorithm>
#include <new>

namespace prism {

namespace {

// Length of the valid UTF-8 sequence at s[i], or 0 if the bytes there are not one.
size_t utf8_valid_len(std::string_view s, size_t i) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (n == 0 || i + n > s.size()) return 0;
    for (size_t k = 1; k < n; ++k)
        if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return 0;
    return n;
}

bool is_continuation(char c) {
    return (static_cast<unsigned char>(c) & 0xc0) == 0x80;
}

}  // namespace

std::string printable(std::string_view s, size_t max_bytes) {
    static const char* hex = "0123456789abcdef";
    std::string out;
    out.reserve(std::min(s.size(), max_bytes + 16));
    for (size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        const size_t n = utf8_valid_len(s, i);
        if (n == 0 || c < 0x20 || c == 0x7f) {
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
            ++i;
        } else {
            out.append(s.substr(i, n));
            i += n;
        }
    }
    if (out.size() <= max_bytes) return out;
    size_t head = max_bytes * 2 / 3, tail = out.size() - (max_bytes - head);
    while (head > 0 && is_continuation(out[head])) --head;
    while (tail < out.size() && is_continuation(out[tail])) ++tail;
    std::string cut;
    cut.reserve(max_bytes + 8);
    cut.append(out, 0, head);
    cut.append(" … ");
    cut.append(out, tail, std::string::npos);
    return cut;
}

error current_exception_to_error(const std::string& path) {
    try {
        throw;
    } catch (const engine_error& e) {
        return {e.code(), e.what(), path, e.offset()};
    } catch (const std::bad_alloc&) {
        return {errc::out_of_memory, "out of memory", path, -1};
    } catch (const std::invalid_argument& e) {
        return {errc::invalid_argument, e.what(), path, -1};
    } catch (const std::exception& e) {
        return {errc::internal, e.what(), path, -1};
    } catch (...) {
        return {errc::internal, "unknown exception", path, -1};
    }
}

}  // namespace prism
