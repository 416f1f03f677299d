// MessageBanner: a non-modal, dismissable message strip at the top of the studio's central
// area. Errors (a bad model file, a locked project, a failed run) show here and never in a
// modal dialog, so nothing waits for a click (and GUI tests never block).
#pragma once

#include <QFrame>

class QLabel;
class QToolButton;

namespace prism::ui {

class MessageBanner : public QFrame {
    Q_OBJECT

public:
    enum class Kind { Error, Info };
    explicit MessageBanner(QWidget* parent = nullptr);

    /// Shows `text` (replacing what was shown) until dismissed or replaced.
    void showMessage(const QString& text, Kind kind = Kind::Error);
    void dismiss();
    QString text() const;
    /// True while a message is shown (the widget may be hidden by its parent).
    bool isShowingMessage() const { return m_showing; }

private:
    QLabel* m_label = nullptr;
    QToolButton* m_close = nullptr;
    bool m_showing = false;
};

}  // namespace prism::ui
