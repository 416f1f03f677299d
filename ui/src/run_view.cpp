// RunView (see run_view.h): record <-> view conversions and the span alignment of a
// reopened run's tokens against its stored text.
#include "prism/ui/run_view.h"

#include <algorithm>

namespace prism::ui {

namespace {

QString qs(const std::string& s) {
    return QString::fromUtf8(s.data(), static_cast<qsizetype>(s.size()));
}

// Rebuilds each token's text from its (possibly unknown) piece so the texts join to `text`.
// A known piece that matches at the cursor is the token's text; an unknown or mismatching
// token takes the text up to where the next token's piece is found.
void alignTokens(QVector<GeneratedToken>& tokens, const QVector<QString>& pieces,
                 const QString& text, QString& trailing) {
    qsizetype cursor = 0;
    bool lastMatched = true;
    for (qsizetype i = 0; i < tokens.size(); ++i) {
        const QString& piece = pieces[i];
        if (!piece.isEmpty() && QStringView(text).mid(cursor).startsWith(piece)) {
            tokens[i].text = piece;
            cursor += piece.size();
            lastMatched = true;
            continue;
        }
        qsizetype end = cursor;
        if (i + 1 < tokens.size() && !pieces[i + 1].isEmpty()) {
            const qsizetype found = text.indexOf(pieces[i + 1], cursor);
            if (found >= 0) end = found;
        }
        if (i + 1 == tokens.size()) end = text.size();
        tokens[i].text = text.mid(cursor, end - cursor);
        cursor = end;
        lastMatched = false;
    }
    trailing = text.mid(cursor);
    if (!lastMatched && !tokens.isEmpty()) {
        tokens.back().text += trailing;
        trailing.clear();
    }
}

}  // namespace

QString RunView::outputText() const {
    QString out;
    for (const auto& t : tokens) out += t.text;
    return out + trailingText;
}

QString runStatusText(prism::projects::run_status status, bool activeNow) {
    if (status == prism::projects::run_status::running && !activeNow)
        return QStringLiteral("interrupted");
    return qs(std::string(prism::projects::run_status_name(status)));
}

RunView runViewFromRecord(const prism::projects::run_record& record,
                          const prism::viz::attention_set* attention, bool activeNow) {
    RunView v;
    v.runId = record.id;
    v.modelId = record.model_id;
    v.prompt = qs(record.prompt);
    v.systemPrompt = record.params.system_prompt ? qs(*record.params.system_prompt) : QString();
    v.params = record.params;
    v.status = runStatusText(record.status, activeNow);
    v.ttftMs = record.ttft_ms;
    v.tokensPerSecond = record.tokens_per_s;
    v.error = qs(record.error);

    const size_t n = record.token_ids.size();
    QVector<QString> pieces(static_cast<qsizetype>(n));
    v.tokens.resize(static_cast<qsizetype>(n));
    for (size_t i = 0; i < n; ++i) {
        auto& t = v.tokens[static_cast<qsizetype>(i)];
        t.id = record.token_ids[i];
        t.p = -1;
        if (i < record.top_alternatives.size()) {
            for (const auto& alt : record.top_alternatives[i]) {
                t.top.push_back({alt.id, qs(alt.piece), alt.p});
                if (alt.id == t.id) {
                    t.p = alt.p;
                    t.piece = qs(alt.piece);
                }
            }
        }
        if (t.piece.isEmpty() && attention) {
            const size_t pos = static_cast<size_t>(attention->n_prompt) + i;
            if (pos < attention->pieces.size() &&
                attention->tokens[pos] == static_cast<int32_t>(t.id))
                t.piece = qs(attention->pieces[pos]);
        }
        pieces[static_cast<qsizetype>(i)] = t.piece;
    }
    alignTokens(v.tokens, pieces, qs(record.output_text), v.trailingText);
    return v;
}

prism::projects::run_output_delta outputDelta(const QVector<GeneratedToken>& tokens) {
    prism::projects::run_output_delta d;
    for (const auto& t : tokens) {
        d.text += t.text.toStdString();
        if (t.id < 0) continue;
        d.token_ids.push_back(t.id);
        std::vector<prism::projects::token_alternative> alts;
        alts.reserve(static_cast<size_t>(t.top.size()));
        for (const auto& a : t.top) alts.push_back({a.id, a.piece.toStdString(), a.p});
        d.top_alternatives.push_back(std::move(alts));
    }
    return d;
}

QString paramsSummary(const prism::projects::generation_params& p) {
    QStringList parts;
    if (p.temp <= 0) {
        parts << QStringLiteral("greedy");
    } else {
        parts << QStringLiteral("temp %1").arg(static_cast<double>(p.temp), 0, 'g', 3);
        if (p.top_k > 0) parts << QStringLiteral("top-k %1").arg(p.top_k);
        if (p.top_p < 1) parts << QStringLiteral("top-p %1").arg(static_cast<double>(p.top_p));
        if (p.min_p > 0) parts << QStringLiteral("min-p %1").arg(static_cast<double>(p.min_p));
        parts << QStringLiteral("seed %1").arg(p.seed);
    }
    if (p.repeat_penalty != 1.0f)
        parts << QStringLiteral("repeat %1").arg(static_cast<double>(p.repeat_penalty));
    parts << (p.n_predict < 0 ? QStringLiteral("no token limit")
                              : QStringLiteral("max %1 tokens").arg(p.n_predict));
    return parts.join(QStringLiteral(" · "));
}

}  // namespace prism::ui
