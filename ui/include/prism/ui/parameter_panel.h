// ParameterPanel: the right-hand dock. What model is loaded, and the generation parameters:
// a preset combo (the built-in Precise, Code and Creative, then the project's own presets),
// temperature, top-k, top-p, min-p, repeat penalty and window, seed (or a fresh random seed
// per run), the token limit (n_predict) and whether to capture attention.
//
// Design: the values live in the widgets; params() reads them as the project store's
// generation_params and setParams() writes them back, so a reopened run shows exactly what
// it ran with. Seeds are uint64 and edited as text (a spin box holds int only). A built-in
// preset sets the sampling values and keeps the seed and token limit; a user preset sets
// everything it stored. "Save as preset…" asks for a name without blocking (QInputDialog
// opened with open()) and emits savePresetRequested.
#pragma once

#include <QWidget>

#include <vector>

#include "prism/projects/records.h"
#include "prism/ui/model_worker.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace prism::ui {

struct BuiltinPreset {
    QString name;
    float temp;
    float topP;
};
/// Precise (temp 0), Code (temp 0.3, top-p 0.9), Creative (temp 0.8, top-p 0.95).
const std::vector<BuiltinPreset>& builtinPresets();

class ParameterPanel : public QWidget {
    Q_OBJECT

public:
    explicit ParameterPanel(QWidget* parent = nullptr);

    /// The parameters as set (system_prompt left empty; seed as shown).
    prism::projects::generation_params params() const;
    /// Why the parameters cannot be used as shown ("" when they can): a seed field that is
    /// empty or beyond 18446744073709551615 while "random" is off.
    QString inputError() const;
    /// Shows stored parameters (clears "random seed" so the shown seed is used).
    void setParams(const prism::projects::generation_params& params);
    bool randomSeed() const;
    void setRandomSeed(bool random);
    bool captureAttention() const;
    void setCaptureAttention(bool capture);

    void setModelInfo(const ModelInfo& info);
    void setModelLoading(const QString& path);
    void clearModelInfo(const QString& why);

    /// The project's presets (after the built-ins in the combo).
    void setUserPresets(const std::vector<prism::projects::preset_record>& presets);
    /// Names in the combo, built-ins first.
    QStringList presetNames() const;
    /// Applies the named preset (built-in or user); false if there is none.
    bool applyPreset(const QString& name);
    QString currentPreset() const;

    QComboBox* presetCombo() const { return m_preset; }
    QPushButton* savePresetButton() const { return m_savePreset; }

signals:
    void savePresetRequested(const QString& name);

private:
    void askPresetName();
    void markCustom();

    QLabel* m_modelName = nullptr;
    QLabel* m_modelDetails = nullptr;
    QComboBox* m_preset = nullptr;
    QPushButton* m_savePreset = nullptr;
    QDoubleSpinBox* m_temp = nullptr;
    QSpinBox* m_topK = nullptr;
    QDoubleSpinBox* m_topP = nullptr;
    QDoubleSpinBox* m_minP = nullptr;
    QDoubleSpinBox* m_repeatPenalty = nullptr;
    QSpinBox* m_repeatLastN = nullptr;
    QLineEdit* m_seed = nullptr;
    QCheckBox* m_randomSeed = nullptr;
    QSpinBox* m_nPredict = nullptr;
    QCheckBox* m_capture = nullptr;
    std::vector<prism::projects::preset_record> m_userPresets;
    bool m_applying = false;
};

}  // namespace prism::ui
