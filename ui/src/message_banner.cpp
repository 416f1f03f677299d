// MessageBanner (see message_banner.h): a tinted label with a close button.
#include "prism/ui/message_banner.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QStyle>
#include <QToolButton>

namespace prism::ui {

MessageBanner::MessageBanner(QWidget* parent) : QFrame(parent) {
    setObjectName(QStringLiteral("messageBanner"));
    setFrameShape(QFrame::StyledPanel);
    m_label = new QLabel(this);
    m_label->setWordWrap(true);
    m_label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_close = new QToolButton(this);
    m_close->setIcon(style()->standardIcon(QStyle::SP_TitleBarCloseButton));
    m_close->setAutoRaise(true);
    m_close->setToolTip(tr("Dismiss"));
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(10, 6, 6, 6);
    layout->addWidget(m_label, 1);
    layout->addWidget(m_close, 0, Qt::AlignTop);
    connect(m_close, &QToolButton::clicked, this, &MessageBanner::dismiss);
    hide();
}

void MessageBanner::showMessage(const QString& text, Kind kind) {
    const bool error = kind == Kind::Error;
    setStyleSheet(
        error ? QStringLiteral("#messageBanner { background: #fdecea; border: 1px solid "
                               "#e0a19b; border-radius: 4px; } QLabel { color: #7a1c12; }")
              : QStringLiteral("#messageBanner { background: #e8f1fd; border: 1px solid "
                               "#9bbbe0; border-radius: 4px; } QLabel { color: #173d6b; }"));
    m_label->setText(text);
    m_showing = true;
    show();
}

void MessageBanner::dismiss() {
    m_showing = false;
    hide();
}

QString MessageBanner::text() const {
    return m_label->text();
}

}  // namespace prism::ui
