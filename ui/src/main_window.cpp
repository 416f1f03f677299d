// MainWindow (see main_window.h), part 1: layout, menus, settings, status bar. The actions
// (projects, models, runs) and the controller's wiring are in main_window_actions.cpp.
#include "prism/ui/main_window.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDateTime>
#include <QDockWidget>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QKeySequence>
#include <QLabel>
#include <QMenuBar>
#include <QPlainTextEdit>
#include <QScrollArea>
#include <QSettings>
#include <QShortcut>
#include <QStatusBar>
#include <QTabWidget>
#include <QTimer>
#include <QVBoxLayout>

#include "prism/ui/attention_tab.h"
#include "prism/ui/message_banner.h"
#include "prism/ui/parameter_panel.h"
#include "prism/ui/playground_panel.h"
#include "prism/ui/project_explorer.h"
#include "prism/ui/studio_controller.h"

namespace prism::ui {

namespace {

constexpr int k_max_recent = 8;
const QString k_recent_key = QStringLiteral("recentProjects");
const QString k_geometry_key = QStringLiteral("mainWindow/geometry");
const QString k_state_key = QStringLiteral("mainWindow/state");

QDockWidget* dock(const QString& title, const QString& name, QWidget* content, QWidget* parent) {
    auto* d = new QDockWidget(title, parent);
    d->setObjectName(name);
    d->setWidget(content);
    d->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetClosable |
                   QDockWidget::DockWidgetFloatable);
    return d;
}

}  // namespace

qint64 residentMemoryBytes() {
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly | QIODevice::Text)) return -1;
    // Files under /proc report size 0, so read until readAll() returns what there is.
    const QList<QByteArray> lines = f.readAll().split('\n');
    for (const QByteArray& line : lines) {
        if (!line.startsWith("VmRSS:")) continue;
        const QList<QByteArray> parts = line.mid(6).simplified().split(' ');
        bool ok = false;
        const qint64 kb = parts.value(0).toLongLong(&ok);
        return ok ? kb * 1024 : -1;
    }
    return -1;
}

MainWindow::MainWindow(const StudioOptions& options, QWidget* parent)
    : QMainWindow(parent), m_options(options) {
    m_settings =
        m_options.settingsFile.isEmpty()
            ? std::make_unique<QSettings>(QStringLiteral("Prism"), QStringLiteral("Prism Studio"))
            : std::make_unique<QSettings>(m_options.settingsFile, QSettings::IniFormat);
    m_controller = new StudioController(this);
    buildUi();
    buildMenus();
    wireController();
    resize(1400, 900);
    m_defaultState = saveState();
    restoreGeometry(m_settings->value(k_geometry_key).toByteArray());
    restoreState(m_settings->value(k_state_key).toByteArray());
    // A layout saved from a shrunken window can hold docks squeezed to a sliver: give
    // them their default widths back rather than restoring an unusable panel.
    if (m_explorerDock->width() < 120 || m_parameterDock->width() < 160)
        resizeDocks({m_explorerDock, m_parameterDock}, {270, 300}, Qt::Horizontal);
    updateTitle();
    updateState();
    updateMemory();
}

MainWindow::~MainWindow() = default;

void MainWindow::buildUi() {
    setDockNestingEnabled(true);
    setCorner(Qt::BottomLeftCorner, Qt::LeftDockWidgetArea);
    setCorner(Qt::BottomRightCorner, Qt::RightDockWidgetArea);

    auto* central = new QWidget(this);
    auto* layout = new QVBoxLayout(central);
    layout->setContentsMargins(4, 4, 4, 0);
    layout->setSpacing(4);
    m_banner = new MessageBanner(central);
    m_tabs = new QTabWidget(central);
    m_tabs->setDocumentMode(true);
    m_playground = new PlaygroundPanel(m_tabs);
    m_attention = new AttentionTab(m_tabs);
    m_tabs->addTab(m_playground, tr("Playground"));
    m_tabs->addTab(m_attention, tr("Attention"));
    layout->addWidget(m_banner);
    layout->addWidget(m_tabs, 1);
    setCentralWidget(central);

    m_explorer = new ProjectExplorer(this);
    m_explorerDock = dock(tr("Project"), QStringLiteral("projectDock"), m_explorer, this);
    addDockWidget(Qt::LeftDockWidgetArea, m_explorerDock);

    m_parameters = new ParameterPanel(this);
    auto* scroll = new QScrollArea(this);
    scroll->setWidget(m_parameters);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAsNeeded);
    m_parameterDock = dock(tr("Parameters"), QStringLiteral("parameterDock"), scroll, this);
    addDockWidget(Qt::RightDockWidgetArea, m_parameterDock);

    m_log = new QPlainTextEdit(this);
    m_log->setReadOnly(true);
    m_log->setMaximumBlockCount(5000);
    m_log->setLineWrapMode(QPlainTextEdit::WidgetWidth);
    m_log->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_logDock = dock(tr("Log"), QStringLiteral("logDock"), m_log, this);
    addDockWidget(Qt::BottomDockWidgetArea, m_logDock);

    resizeDocks({m_explorerDock, m_parameterDock}, {270, 300}, Qt::Horizontal);
    resizeDocks({m_logDock}, {130}, Qt::Vertical);

    m_statusModel = new QLabel(this);
    m_statusBackend = new QLabel(this);
    m_statusSpeed = new QLabel(this);
    m_statusMemory = new QLabel(this);
    for (QLabel* l : {m_statusModel, m_statusBackend, m_statusSpeed, m_statusMemory}) {
        l->setContentsMargins(6, 0, 6, 0);
        statusBar()->addPermanentWidget(l);
    }
    m_statusSpeed->setText(tr("— tokens/s"));
    auto* memoryTimer = new QTimer(this);
    connect(memoryTimer, &QTimer::timeout, this, &MainWindow::updateMemory);
    memoryTimer->start(2000);

    auto* generateKey = new QShortcut(QKeySequence(Qt::CTRL | Qt::Key_Return), this);
    auto* generateKeypad = new QShortcut(QKeySequence(Qt::CTRL | Qt::Key_Enter), this);
    auto* stopKey = new QShortcut(QKeySequence(Qt::Key_Escape), this);
    for (QShortcut* s : {generateKey, generateKeypad, stopKey}) s->setContext(Qt::WindowShortcut);
    connect(generateKey, &QShortcut::activated, this, [this] { generate(); });
    connect(generateKeypad, &QShortcut::activated, this, [this] { generate(); });
    connect(stopKey, &QShortcut::activated, this, &MainWindow::stop);
}

void MainWindow::buildMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* newProject = file->addAction(tr("&New Project…"));
    newProject->setShortcut(QKeySequence::New);
    connect(newProject, &QAction::triggered, this, [this] {
        const QString dir = QFileDialog::getSaveFileName(
            this, tr("New project folder"), QDir::homePath() + QStringLiteral("/Prism Project"), {},
            nullptr, QFileDialog::ShowDirsOnly);
        if (!dir.isEmpty()) createProject(dir);
    });
    QAction* openProjectAction = file->addAction(tr("&Open Project…"));
    openProjectAction->setShortcut(QKeySequence::Open);
    connect(openProjectAction, &QAction::triggered, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Open project folder"));
        if (!dir.isEmpty()) openProject(dir);
    });
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    connect(m_recentMenu, &QMenu::aboutToShow, this, &MainWindow::fillRecentMenu);
    fillRecentMenu();
    file->addSeparator();
    QAction* openModel = file->addAction(tr("Open &Model…"));
    openModel->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O));
    connect(openModel, &QAction::triggered, this, [this] {
        const QString path = QFileDialog::getOpenFileName(
            this, tr("Open model"), {},
            tr("Models (*.gguf *.bin *.safetensors config.json);;GGUF (*.gguf);;llama2.c "
               "checkpoints (*.bin);;All files (*)"));
        if (path.isEmpty()) return;
        // A safetensors model is its folder (config.json + weights + tokenizer).
        const QFileInfo fi(path);
        const bool folderModel = fi.suffix() == QLatin1String("safetensors") ||
                                 fi.fileName() == QLatin1String("config.json");
        loadModel(folderModel ? fi.absolutePath() : path);
    });
    QAction* openModelFolder = file->addAction(tr("Open Model &Folder…"));
    connect(openModelFolder, &QAction::triggered, this, [this] {
        const QString dir =
            QFileDialog::getExistingDirectory(this, tr("Open a safetensors model folder"));
        if (!dir.isEmpty()) loadModel(dir);
    });
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"));
    quit->setShortcut(QKeySequence::Quit);
    connect(quit, &QAction::triggered, this, &QWidget::close);

    QMenu* view = menuBar()->addMenu(tr("&View"));
    view->addAction(m_explorerDock->toggleViewAction());
    view->addAction(m_parameterDock->toggleViewAction());
    view->addAction(m_logDock->toggleViewAction());
    QAction* resetLayout = view->addAction(tr("&Reset Layout"));
    connect(resetLayout, &QAction::triggered, this, [this] {
        restoreState(m_defaultState);
        for (QDockWidget* d : {m_explorerDock, m_parameterDock, m_logDock}) d->show();
        resizeDocks({m_explorerDock, m_parameterDock}, {270, 300}, Qt::Horizontal);
        resizeDocks({m_logDock}, {130}, Qt::Vertical);
    });
    view->addSeparator();
    QAction* playground = view->addAction(tr("&Playground"));
    playground->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_1));
    connect(playground, &QAction::triggered, this, [this] { showTab(Tab::Playground); });
    QAction* attention = view->addAction(tr("&Attention"));
    attention->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_2));
    connect(attention, &QAction::triggered, this, [this] { showTab(Tab::Attention); });

    QMenu* run = menuBar()->addMenu(tr("&Run"));
    QAction* gen = run->addAction(tr("&Generate"));
    gen->setShortcutVisibleInContextMenu(true);
    gen->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Return));
    gen->setShortcutContext(Qt::WidgetShortcut);  // the window-wide QShortcut fires it
    connect(gen, &QAction::triggered, this, [this] { generate(); });
    QAction* stopAction = run->addAction(tr("&Stop"));
    stopAction->setShortcut(QKeySequence(Qt::Key_Escape));
    stopAction->setShortcutContext(Qt::WidgetShortcut);
    connect(stopAction, &QAction::triggered, this, &MainWindow::stop);
}

void MainWindow::showTab(Tab tab) {
    m_tabs->setCurrentWidget(tab == Tab::Playground ? static_cast<QWidget*>(m_playground)
                                                    : static_cast<QWidget*>(m_attention));
}

void MainWindow::log(const QString& line) {
    const QString stamp = QDateTime::currentDateTime().toString(QStringLiteral("hh:mm:ss.zzz"));
    m_log->appendPlainText(stamp + QStringLiteral("  ") + line);
}

void MainWindow::showError(const QString& message) {
    m_banner->showMessage(message, MessageBanner::Kind::Error);
}

QStringList MainWindow::recentProjects() const {
    return m_settings->value(k_recent_key).toStringList();
}

void MainWindow::addRecent(const QString& dir) {
    QStringList recent = recentProjects();
    const QString path = QFileInfo(dir).absoluteFilePath();
    recent.removeAll(path);
    recent.prepend(path);
    while (recent.size() > k_max_recent) recent.removeLast();
    m_settings->setValue(k_recent_key, recent);
    fillRecentMenu();
}

void MainWindow::fillRecentMenu() {
    m_recentMenu->clear();
    const QStringList recent = recentProjects();
    for (const QString& dir : recent) {
        QAction* a = m_recentMenu->addAction(QFileInfo(dir).fileName());
        a->setToolTip(dir);
        a->setStatusTip(dir);
        connect(a, &QAction::triggered, this, [this, dir] { openProject(dir); });
    }
    if (recent.isEmpty()) m_recentMenu->addAction(tr("(none)"))->setEnabled(false);
}

void MainWindow::updateTitle() {
    const QString dir = m_controller->projectDir();
    setWindowTitle(dir.isEmpty() ? tr("Prism Studio")
                                 : tr("%1 — Prism Studio").arg(QFileInfo(dir).fileName()));
}

void MainWindow::updateMemory() {
    const qint64 bytes = residentMemoryBytes();
    m_statusMemory->setText(
        bytes < 0
            ? tr("memory: n/a")
            : tr("memory %1 MiB").arg(static_cast<double>(bytes) / (1024.0 * 1024.0), 0, 'f', 0));
    m_statusMemory->setToolTip(tr("Resident memory of the studio (VmRSS)"));
}

void MainWindow::closeEvent(QCloseEvent* event) {
    m_controller->stop();
    m_settings->setValue(k_geometry_key, saveGeometry());
    m_settings->setValue(k_state_key, saveState());
    m_settings->sync();
    QMainWindow::closeEvent(event);
}

}  // namespace prism::ui
