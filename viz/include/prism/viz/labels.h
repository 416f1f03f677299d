// How token pieces are shown: in views (axis labels, chips, tooltips) and in CSV exports.
// Pieces are raw decoded text; leading spaces, newlines and control bytes are common and
// would be invisible, or break a line, in a label. Qt-free; the widgets and the CLI share it.
#pragma once

#include <cstddef>
#include <string>

namespace prism::viz {

enum class label_style {
    display,  ///< ' ' and U+2581 '▁' as '·', an empty piece as '∅'
    csv,      ///< spaces kept, an empty piece stays empty
};

/// A one-line label of a piece: "\n" "\r" "\t" escaped C-style, other control bytes and
/// invalid UTF-8 as \xNN; more than max_chars characters (when > 0) elided to max_chars - 1
/// characters and '…'.
std::string token_label(const std::string& piece, size_t max_chars = 0,
                        label_style style = label_style::display);

/// One RFC 4180 field: quoted, with inner quotes doubled, when it holds a comma, a quote,
/// CR/LF or leading/trailing spaces.
std::string csv_field(const std::string& text);

}  // namespace prism::viz
