// Token labels and CSV fields (see labels.h), shared by the widgets and the CLI exports.
#include "prism/viz/labels.h"

#include <algorithm>
#include <vector>

namespace prism::viz {

std::string token_label(const std::string& piece, size_t max_chars, label_style style) {
    static const char* hex = "0123456789abcdef";
    const bool display = style == label_style::display;
    if (piece.empty()) return display ? "\xe2\x88\x85" : "";  // '∅'
    std::vector<std::string> units;                           // one shown character each
    for (size_t i = 0; i < piece.size();) {
        const auto c = static_cast<unsigned char>(piece[i]);
        size_t n = c < 0x80           ? 1
                   : (c >> 5) == 0x6  ? 2
                   : (c >> 4) == 0xe  ? 3
                   : (c >> 3) == 0x1e ? 4
                                      : 0;
        for (size_t k = 1; k < n; ++k)
            if (i + k >= piece.size() || (static_cast<unsigned char>(piece[i + k]) & 0xc0) != 0x80)
                n = 0;
        const std::string_view ch = std::string_view(piece).substr(i, std::max<size_t>(n, 1));
        if (display && (ch == " " || ch == "\xe2\x96\x81")) {
            units.emplace_back("\xc2\xb7");  // '·'
        } else if (ch == "\n") {
            units.emplace_back("\\n");
        } else if (ch == "\r") {
            units.emplace_back("\\r");
        } else if (ch == "\t") {
            units.emplace_back("\\t");
        } else if (n == 0 || c < 0x20 || c == 0x7f) {
            units.push_back(std::string("\\x") + hex[c >> 4] + hex[c & 15]);
        } else {
            units.emplace_back(ch);
        }
        i += std::max<size_t>(n, 1);
    }
    const bool cut = max_chars > 0 && units.size() > max_chars;
    const size_t keep = cut ? std::max<size_t>(1, max_chars - 1) : units.size();
    std::string out;
    for (size_t k = 0; k < keep; ++k) out += units[k];
    if (cut) out += "\xe2\x80\xa6";  // '…'
    return out;
}

std::string csv_field(const std::string& text) {
    const bool quote = text.find_first_of(",\"\r\n") != std::string::npos ||
                       (!text.empty() && (text.front() == ' ' || text.back() == ' '));
    if (!quote) return text;
    std::string out = "\"";
    for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

}  // namespace prism::viz
