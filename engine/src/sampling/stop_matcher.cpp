// Stop strings across token boundaries (prism::stop_matcher in prism/sampler.h). Streamed
// text goes into a small buffer; each push emits everything except the longest tail that is
// still a proper prefix of some stop string, so no byte of a stop string is ever emitted and
// the buffer stays shorter than the longest stop string.
//
// Key choice: matching is on bytes. Stop strings are whole (valid UTF-8) strings, so a match
// or a held-back prefix always starts at a lead byte and never splits a character that the
// text itself kept whole. The earliest match wins when several stop strings occur.
//
// Source: the behaviour of llama.cpp's server (find_partial_stop_string / stop handling)
// and of OpenAI-style `stop` parameters: the stop text itself is not returned.
#include "prism/sampler.h"

#include <algorithm>

namespace prism {

namespace {

/// Whether the tail of `text` starting at `pos` is a proper prefix of `stop`.
bool tail_is_prefix_of(std::string_view text, size_t pos, std::string_view stop) {
    const std::string_view tail = text.substr(pos);
    return tail.size() < stop.size() && stop.starts_with(tail);
}

}  // namespace

stop_matcher::stop_matcher(std::vector<std::string> stops) {
    for (auto& s : stops)
        if (!s.empty()) m_stops.push_back(std::move(s));
}

std::string stop_matcher::push(std::string_view text) {
    if (m_stopped) return {};
    m_held.append(text);

    // A complete stop string anywhere in the buffer: emit what comes before the earliest one.
    size_t match = std::string::npos;
    for (const auto& s : m_stops) match = std::min(match, m_held.find(s));
    if (match != std::string::npos) {
        std::string out = m_held.substr(0, match);
        m_held.clear();
        m_stopped = true;
        return out;
    }

    // Hold back the longest tail that could still grow into a stop string. Only the last
    // (longest stop - 1) bytes can start such a tail.
    size_t longest = 0;
    for (const auto& s : m_stops) longest = std::max(longest, s.size());
    const size_t first = m_held.size() >= longest ? m_held.size() - longest + 1 : 0;
    size_t hold_from = m_held.size();
    for (size_t pos = first; pos < m_held.size() && hold_from == m_held.size(); ++pos)
        for (const auto& s : m_stops)
            if (tail_is_prefix_of(m_held, pos, s)) {
                hold_from = pos;
                break;
            }

    std::string out = m_held.substr(0, hold_from);
    m_held.erase(0, hold_from);
    return out;
}

std::string stop_matcher::flush() {
    std::string out = std::move(m_held);
    m_held.clear();
    return out;
}

}  // namespace prism
