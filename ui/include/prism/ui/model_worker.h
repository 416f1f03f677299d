// The studio's engine worker: one QObject living on its own QThread per loaded model. The
// GUI talks to it through queued signals and slots only (ARCHITECTURE.md, GUI threading):
// it loads a model, runs a generation with optional attention capture, and streams tokens
// back in batches about every 30 ms. Stopping is the one direct call: requestStop() sets an
// atomic flag the generation loop checks before every token, so Stop takes effect within
// one token even though the worker's event loop is busy.
#pragma once

#include <QObject>
#include <QString>
#include <QVector>

#include <atomic>
#include <memory>

#include "prism/generate.h"
#include "prism/viz/attention_data.h"

namespace prism::ui {

/// What the studio shows about a loaded model.
struct ModelInfo {
    QString path;
    QString name;
    QString format;
    QString sha256;   ///< of the file (of config.json for a folder)
    QString summary;  ///< one line: layers, heads, vocabulary, parameters
    QString backend;  ///< backend description
    qint64 bytes = 0;
};

struct GenerationRequest {
    qint64 runId = 0;  ///< the project's run row this generation fills
    QString systemPrompt;
    QString prompt;
    prism::sampler_params sampling;
    int nPredict = 128;
    bool captureAttention = true;
};

struct TokenAlternative {
    int id = 0;
    QString piece;
    float p = 0;
};

struct GeneratedToken {
    int id = -1;
    QString text;                   ///< text this token completed (may be empty: partial UTF-8)
    QString piece;                  ///< the token's own piece
    float p = 0;                    ///< the model's probability of it
    QVector<TokenAlternative> top;  ///< the 5 most probable tokens at this step
};

struct GenerationResult {
    qint64 runId = 0;
    QString promptText;
    QString text;
    QVector<int> promptTokens;
    QVector<GeneratedToken> tokens;
    QString stopReason;  ///< length, eos, stop, context_full, cancelled
    double ttftMs = 0;
    double tokensPerSecond = 0;
    std::shared_ptr<const prism::viz::attention_set> attention;  ///< null without capture
};

class ModelWorker : public QObject {
    Q_OBJECT
public:
    explicit ModelWorker(QObject* parent = nullptr);
    ~ModelWorker() override;

    /// Thread-safe, direct call: the running generation stops before its next token.
    void requestStop() { m_stop.store(true); }
    /// Thread-safe, direct call: forget an earlier stop. The GUI calls it before queueing a
    /// generation (the worker never clears the flag itself, so a Stop pressed while the
    /// request is still queued is not lost).
    void clearStop() { m_stop.store(false); }

public slots:
    void loadModel(const QString& path);
    void generate(const prism::ui::GenerationRequest& request);

signals:
    void modelLoaded(const prism::ui::ModelInfo& info);
    void modelLoadFailed(const QString& path, const QString& message);
    void generationStarted(qint64 runId, const QString& promptText);
    void tokensReady(qint64 runId, const QVector<prism::ui::GeneratedToken>& tokens);
    void generationFinished(const prism::ui::GenerationResult& result);
    void generationFailed(qint64 runId, const QString& message);

private:
    std::shared_ptr<const prism::llama_model> m_model;
    std::unique_ptr<prism::llama_context> m_ctx;
    std::atomic<bool> m_stop{false};
};

}  // namespace prism::ui

Q_DECLARE_METATYPE(prism::ui::ModelInfo)
Q_DECLARE_METATYPE(prism::ui::GenerationRequest)
Q_DECLARE_METATYPE(prism::ui::GenerationResult)
