// Empty-state labels of the attention views (see empty_state.h).
#include "prism/viz/widgets/empty_state.h"

namespace prism::viz {

QLabel* makeEmptyStateLabel(const QString& text, QWidget* parent, double fontScale, int padding) {
    auto* label = new QLabel(text, parent);
    label->setAlignment(Qt::AlignCenter);
    label->setWordWrap(true);
    QFont font = label->font();
    font.setPointSizeF(font.pointSizeF() * fontScale);
    label->setFont(font);
    label->setStyleSheet(QStringLiteral("color: #555; padding: %1px;").arg(padding));
    return label;
}

}  // namespace prism::viz
