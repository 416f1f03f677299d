// ParameterPanel (see parameter_panel.h): model info, presets and generation parameters.
#include "prism/ui/parameter_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QRegularExpressionValidator>
#include <QSpinBox>
#include <QVBoxLayout>

namespace prism::ui {

namespace {

enum PresetKind { k_custom = 0, k_builtin = 1, k_user = 2 };

QString qs(const std::string& s) {
    return QString::fromUtf8(s.data(), static_cast<qsizetype>(s.size()));
}

QDoubleSpinBox* doubleSpin(double lo, double hi, double step, int decimals, QWidget* parent) {
    auto* s = new QDoubleSpinBox(parent);
    s->setRange(lo, hi);
    s->setSingleStep(step);
    s->setDecimals(decimals);
    s->setLocale(QLocale::c());
    return s;
}

QSpinBox* intSpin(int lo, int hi, QWidget* parent) {
    auto* s = new QSpinBox(parent);
    s->setRange(lo, hi);
    return s;
}

}  // namespace

const std::vector<BuiltinPreset>& builtinPresets() {
    static const std::vector<BuiltinPreset> presets{
        {QStringLiteral("Precise"), 0.0f, 1.0f},
        {QStringLiteral("Code"), 0.3f, 0.9f},
        {QStringLiteral("Creative"), 0.8f, 0.95f},
    };
    return presets;
}

ParameterPanel::ParameterPanel(QWidget* parent) : QWidget(parent) {
    auto* modelBox = new QGroupBox(tr("Model"), this);
    auto* modelLayout = new QVBoxLayout(modelBox);
    m_modelName = new QLabel(modelBox);
    QFont bold = m_modelName->font();
    bold.setBold(true);
    m_modelName->setFont(bold);
    m_modelName->setWordWrap(true);
    m_modelDetails = new QLabel(modelBox);
    m_modelDetails->setWordWrap(true);
    m_modelDetails->setTextInteractionFlags(Qt::TextSelectableByMouse);
    modelLayout->addWidget(m_modelName);
    modelLayout->addWidget(m_modelDetails);

    auto* paramBox = new QGroupBox(tr("Generation"), this);
    auto* form = new QFormLayout(paramBox);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    m_preset = new QComboBox(paramBox);
    m_preset->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_preset->setMinimumContentsLength(8);
    form->addRow(tr("Preset"), m_preset);
    m_savePreset = new QPushButton(tr("Save as preset…"), paramBox);
    m_savePreset->setToolTip(tr("Store the current parameters in the project under a name"));
    form->addRow(QString(), m_savePreset);

    m_temp = doubleSpin(0.0, 2.0, 0.05, 2, paramBox);
    m_temp->setToolTip(tr("Temperature; 0 picks the most probable token (greedy)"));
    form->addRow(tr("Temperature"), m_temp);
    m_topK = intSpin(0, 1000, paramBox);
    m_topK->setSpecialValueText(tr("off"));
    form->addRow(tr("Top-k"), m_topK);
    m_topP = doubleSpin(0.01, 1.0, 0.01, 2, paramBox);
    form->addRow(tr("Top-p"), m_topP);
    m_minP = doubleSpin(0.0, 1.0, 0.01, 2, paramBox);
    m_minP->setSpecialValueText(tr("off"));
    form->addRow(tr("Min-p"), m_minP);
    m_repeatPenalty = doubleSpin(0.05, 3.0, 0.05, 2, paramBox);
    m_repeatPenalty->setToolTip(tr("1 = off"));
    form->addRow(tr("Repeat penalty"), m_repeatPenalty);
    m_repeatLastN = intSpin(-1, 8192, paramBox);
    m_repeatLastN->setSpecialValueText(tr("all"));
    m_repeatLastN->setToolTip(tr("Tokens of history the penalty looks at (0 = off)"));
    form->addRow(tr("Repeat last n"), m_repeatLastN);

    auto* seedRow = new QWidget(paramBox);
    auto* seedLayout = new QHBoxLayout(seedRow);
    seedLayout->setContentsMargins(0, 0, 0, 0);
    m_seed = new QLineEdit(seedRow);
    m_seed->setValidator(
        new QRegularExpressionValidator(QRegularExpression(QStringLiteral("[0-9]{1,20}")), m_seed));
    m_randomSeed = new QCheckBox(tr("random"), seedRow);
    m_randomSeed->setToolTip(
        tr("Draw a new seed for every run (each run records the seed it used)"));
    seedLayout->addWidget(m_seed, 1);
    seedLayout->addWidget(m_randomSeed);
    form->addRow(tr("Seed"), seedRow);
    m_nPredict = intSpin(-1, 32768, paramBox);
    m_nPredict->setSpecialValueText(tr("until end"));
    m_nPredict->setToolTip(tr("Tokens to generate (n_predict)"));
    form->addRow(tr("Max tokens"), m_nPredict);
    m_capture = new QCheckBox(tr("Capture attention"), paramBox);
    m_capture->setToolTip(tr("Record every layer's attention for the Attention tab"));
    form->addRow(QString(), m_capture);

    auto* top = new QVBoxLayout(this);
    top->setContentsMargins(6, 6, 6, 6);
    top->addWidget(modelBox);
    top->addWidget(paramBox);
    top->addStretch(1);

    connect(m_randomSeed, &QCheckBox::toggled, m_seed,
            [this](bool on) { m_seed->setEnabled(!on); });
    connect(m_preset, &QComboBox::activated, this,
            [this](int index) { applyPreset(m_preset->itemText(index)); });
    connect(m_savePreset, &QPushButton::clicked, this, &ParameterPanel::askPresetName);
    for (auto* s : {m_temp, m_topP, m_minP, m_repeatPenalty})
        connect(s, &QDoubleSpinBox::valueChanged, this, &ParameterPanel::markCustom);
    for (auto* s : {m_topK, m_repeatLastN})
        connect(s, &QSpinBox::valueChanged, this, &ParameterPanel::markCustom);

    clearModelInfo(tr("No model loaded"));
    setUserPresets({});
    prism::projects::generation_params defaults;
    defaults.n_predict = 128;
    defaults.seed = 42;
    setParams(defaults);
    setRandomSeed(true);
    setCaptureAttention(true);
    applyPreset(QStringLiteral("Creative"));
}

prism::projects::generation_params ParameterPanel::params() const {
    prism::projects::generation_params p;
    p.temp = static_cast<float>(m_temp->value());
    p.top_k = m_topK->value();
    p.top_p = static_cast<float>(m_topP->value());
    p.min_p = static_cast<float>(m_minP->value());
    p.repeat_penalty = static_cast<float>(m_repeatPenalty->value());
    p.repeat_last_n = m_repeatLastN->value();
    p.seed = m_seed->text().toULongLong();
    p.n_predict = m_nPredict->value();
    return p;
}

QString ParameterPanel::inputError() const {
    if (m_randomSeed->isChecked()) return {};
    bool ok = false;
    m_seed->text().toULongLong(&ok);
    return ok ? QString()
              : tr("The seed must be a whole number from 0 to 18446744073709551615 (or tick "
                   "\"random\").");
}

void ParameterPanel::setParams(const prism::projects::generation_params& p) {
    m_applying = true;
    m_temp->setValue(static_cast<double>(p.temp));
    m_topK->setValue(p.top_k);
    m_topP->setValue(static_cast<double>(p.top_p));
    m_minP->setValue(static_cast<double>(p.min_p));
    m_repeatPenalty->setValue(static_cast<double>(p.repeat_penalty));
    m_repeatLastN->setValue(p.repeat_last_n);
    m_seed->setText(QString::number(p.seed));
    m_nPredict->setValue(p.n_predict);
    m_applying = false;
    setRandomSeed(false);
    markCustom();
}

bool ParameterPanel::randomSeed() const {
    return m_randomSeed->isChecked();
}
void ParameterPanel::setRandomSeed(bool random) {
    m_randomSeed->setChecked(random);
    m_seed->setEnabled(!random);
}
bool ParameterPanel::captureAttention() const {
    return m_capture->isChecked();
}
void ParameterPanel::setCaptureAttention(bool capture) {
    m_capture->setChecked(capture);
}

void ParameterPanel::setModelInfo(const ModelInfo& info) {
    m_modelName->setText(info.name);
    m_modelName->setToolTip(info.path);
    const double mib = static_cast<double>(info.bytes) / (1024.0 * 1024.0);
    m_modelDetails->setText(tr("%1 · %2 MiB\n%3\n%4")
                                .arg(info.format.toUpper())
                                .arg(mib, 0, 'f', mib < 10 ? 2 : 0)
                                .arg(info.summary, info.backend));
}

void ParameterPanel::setModelLoading(const QString& path) {
    m_modelName->setText(tr("Loading %1…").arg(QFileInfo(path).fileName()));
    m_modelName->setToolTip(path);
}

void ParameterPanel::clearModelInfo(const QString& why) {
    m_modelName->setText(why);
    m_modelName->setToolTip({});
    m_modelDetails->setText(tr("File > Open Model… loads a GGUF file, a safetensors folder or "
                               "a llama2.c checkpoint."));
}

void ParameterPanel::setUserPresets(const std::vector<prism::projects::preset_record>& presets) {
    const QString current = m_preset->count() > 0 ? m_preset->currentText() : QString();
    m_userPresets = presets;
    m_preset->clear();
    m_preset->addItem(tr("Custom"), k_custom);
    for (const auto& b : builtinPresets()) m_preset->addItem(b.name, k_builtin);
    if (!presets.empty()) m_preset->insertSeparator(m_preset->count());
    for (const auto& p : presets) m_preset->addItem(qs(p.name), k_user);
    const int again = m_preset->findText(current);
    m_preset->setCurrentIndex(again >= 0 ? again : 0);
}

QStringList ParameterPanel::presetNames() const {
    QStringList names;
    for (int i = 0; i < m_preset->count(); ++i) {
        const QVariant kind = m_preset->itemData(i);
        if (kind.isValid() && kind.toInt() != k_custom) names << m_preset->itemText(i);
    }
    return names;
}

QString ParameterPanel::currentPreset() const {
    return m_preset->currentData().toInt() == k_custom ? QString() : m_preset->currentText();
}

bool ParameterPanel::applyPreset(const QString& name) {
    for (const auto& b : builtinPresets()) {
        if (b.name != name) continue;
        m_applying = true;
        m_temp->setValue(static_cast<double>(b.temp));
        m_topP->setValue(static_cast<double>(b.topP));
        m_topK->setValue(40);
        m_minP->setValue(0.05);
        m_repeatPenalty->setValue(1.0);
        m_repeatLastN->setValue(64);
        m_applying = false;
        m_preset->setCurrentIndex(m_preset->findText(name));
        return true;
    }
    for (const auto& p : m_userPresets) {
        if (qs(p.name) != name) continue;
        setParams(p.params);
        m_preset->setCurrentIndex(m_preset->findText(name));
        return true;
    }
    return false;
}

void ParameterPanel::markCustom() {
    if (m_applying) return;
    m_preset->setCurrentIndex(0);
}

void ParameterPanel::askPresetName() {
    auto* dialog = new QInputDialog(this);
    dialog->setWindowTitle(tr("Save as preset"));
    dialog->setLabelText(tr("Preset name:"));
    dialog->setTextValue(currentPreset());
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QInputDialog::textValueSelected, this, [this](const QString& name) {
        if (!name.trimmed().isEmpty()) emit savePresetRequested(name.trimmed());
    });
    dialog->open();
}

}  // namespace prism::ui
