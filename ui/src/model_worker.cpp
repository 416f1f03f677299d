// ModelWorker (see model_worker.h): engine calls on the worker thread, results to the GUI
// by value through queued signals.
#include "prism/ui/model_worker.h"

#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>

#include <algorithm>

#include "prism/viz/from_capture.h"

namespace prism::ui {

namespace {

QString fileSha256(const QString& path) {
    const QFileInfo fi(path);
    QFile f(fi.isDir() ? path + "/config.json" : path);
    if (!f.open(QIODevice::ReadOnly)) return {};
    QCryptographicHash h(QCryptographicHash::Sha256);
    h.addData(&f);
    return QString::fromLatin1(h.result().toHex());
}

QString qs(const std::string& s) {
    return QString::fromUtf8(s.data(), std::ssize(s));
}

}  // namespace

ModelWorker::ModelWorker(QObject* parent) : QObject(parent) {
    qRegisterMetaType<ModelInfo>();
    qRegisterMetaType<GenerationRequest>();
    qRegisterMetaType<GenerationResult>();
    qRegisterMetaType<QVector<GeneratedToken>>();
}

ModelWorker::~ModelWorker() = default;

void ModelWorker::loadModel(const QString& path) {
    auto model = prism::llama_model::load(path.toStdString());
    if (!model) {
        emit modelLoadFailed(path, qs(model.error().message));
        return;
    }
    auto ctx = prism::llama_context::create(*model, {});
    if (!ctx) {
        emit modelLoadFailed(path, qs(ctx.error().message));
        return;
    }
    m_model = *model;
    m_ctx = std::move(*ctx);
    const auto& hp = m_model->hparams();
    const auto& src = m_model->source();
    ModelInfo info;
    info.path = path;
    info.name = QFileInfo(path).fileName();
    info.format = qs(src.format);
    info.sha256 = fileSha256(path);
    info.bytes = static_cast<qint64>(src.n_bytes());
    info.summary = QStringLiteral("%1 layers, %2 heads (%3 KV), dim %4, vocab %5, %6 M params")
                       .arg(hp.n_layer)
                       .arg(hp.n_head)
                       .arg(hp.n_head_kv)
                       .arg(hp.n_embd)
                       .arg(hp.n_vocab)
                       .arg(static_cast<double>(src.n_params()) / 1e6, 0, 'f', 2);
    info.backend = qs(m_ctx->compute_backend().description());
    emit modelLoaded(info);
}

void ModelWorker::generate(const GenerationRequest& request) {
    if (!m_ctx) {
        emit generationFailed(request.runId, tr("no model is loaded"));
        return;
    }
    const auto& vocab = m_model->vocab();
    prism::generate_params p;
    p.prompt = request.systemPrompt.isEmpty()
                   ? request.prompt.toStdString()
                   : (request.systemPrompt + QStringLiteral("\n\n") + request.prompt).toStdString();
    p.n_predict = request.nPredict;
    p.sampling = request.sampling;
    p.n_top = 5;
    std::unique_ptr<prism::attention_capture> capture;
    if (request.captureAttention) {
        auto c = prism::attention_capture::create(
            m_model->hparams(),
            {.precision = prism::capture_precision::f32, .memory_budget = size_t{1} << 30});
        if (c) capture = std::make_unique<prism::attention_capture>(std::move(*c));
        p.capture = capture.get();
    }

    QVector<GeneratedToken> pending;
    QElapsedTimer since_flush;
    since_flush.start();
    auto flush = [&] {
        if (pending.isEmpty()) return;
        emit tokensReady(request.runId, pending);
        pending.clear();
        since_flush.restart();
    };
    auto res = prism::generate(*m_ctx, p, [&](const prism::generate_event& ev) {
        if (ev.is_prompt) {
            emit generationStarted(request.runId, qs(ev.text));
            return !m_stop.load();
        }
        GeneratedToken t;
        t.id = ev.token;
        t.text = qs(ev.text);
        t.p = ev.p;
        if (ev.token >= 0) t.piece = qs(vocab.token_to_piece(ev.token));
        for (const auto& c : ev.top) t.top.push_back({c.id, qs(vocab.token_to_piece(c.id)), c.p});
        pending.push_back(std::move(t));
        if (since_flush.elapsed() >= 30) flush();  // batch tokens to the GUI every ~30 ms
        return !m_stop.load();
    });
    flush();
    if (!res) {
        emit generationFailed(request.runId, qs(res.error().message));
        return;
    }
    GenerationResult out;
    out.runId = request.runId;
    out.promptText = qs(res->prompt_text);
    out.text = qs(res->text);
    for (int32_t id : res->prompt_tokens) out.promptTokens.push_back(id);
    for (size_t i = 0; i < res->tokens.size(); ++i) {
        GeneratedToken t;
        t.id = res->tokens[i];
        t.piece = qs(vocab.token_to_piece(t.id));
        t.p = res->token_p[i];
        for (const auto& c : res->top[i])
            t.top.push_back({c.id, qs(vocab.token_to_piece(c.id)), c.p});
        out.tokens.push_back(std::move(t));
    }
    out.stopReason = qs(std::string(prism::stop_reason_name(res->reason)));
    out.ttftMs = res->timings.ttft_ms;
    out.tokensPerSecond = res->timings.gen_tokens_per_s(static_cast<int64_t>(res->tokens.size()));
    if (capture && capture->n_tokens() > 0) {
        // A cancelled run may lack the last token's row: label only the captured rows.
        std::vector<int32_t> all = res->prompt_tokens;
        all.insert(all.end(), res->tokens.begin(), res->tokens.end());
        all.resize(std::min(all.size(), static_cast<size_t>(capture->n_tokens())));
        const std::string name =
            QFileInfo(QString::fromStdString(m_model->source().path)).fileName().toStdString();
        out.attention = std::make_shared<const prism::viz::attention_set>(
            prism::viz::attention_set_from_capture(*capture, all,
                                                   static_cast<int32_t>(res->prompt_tokens.size()),
                                                   vocab, m_model->hparams(), name));
    }
    emit generationFinished(out);
}

}  // namespace prism::ui
