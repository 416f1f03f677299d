// The empty state every attention view shows before it has data: a centred, wrapped,
// muted message in a slightly larger font, so an empty pane says what to do instead of
// showing a blank plot. Shared by the viz widgets and the studio's attention views.
#pragma once

#include <QLabel>

namespace prism::viz {

/// A new empty-state label owned by `parent`; fontScale enlarges the parent's font.
QLabel* makeEmptyStateLabel(const QString& text, QWidget* parent, double fontScale = 1.2,
                            int padding = 24);

}  // namespace prism::viz
