// What the playground shows of one run, whether it is streaming now or was reopened from the
// project's history, and the conversions between the studio's values and the project
// store's records (projects/records.h).
//
// Design: the store keeps a run's output text, its token ids and each token's top-5
// alternatives, but not each token's own text. Reopening a run therefore rebuilds the token
// spans: a token's piece comes from its alternatives (the chosen token is among them for
// greedy runs and nearly always for sampled ones) or from the captured attention's labels,
// and the pieces are aligned against the stored text, so the spans always add up to exactly
// the stored output.
#pragma once

#include <QString>
#include <QVector>

#include <optional>

#include "prism/projects/records.h"
#include "prism/ui/model_worker.h"
#include "prism/viz/attention_data.h"

namespace prism::ui {

struct RunView {
    qint64 runId = 0;
    qint64 modelId = 0;
    QString prompt;
    QString systemPrompt;
    prism::projects::generation_params params;
    /// Generated tokens; p < 0 where the token's probability was not recorded, and a token's
    /// text is the output it completed (all texts joined give the output).
    QVector<GeneratedToken> tokens;
    /// Output after the last token (bytes the detokenizer held until the end).
    QString trailingText;
    QString status;  ///< running, finished, stopped, failed, interrupted
    std::optional<double> ttftMs;
    std::optional<double> tokensPerSecond;
    QString error;
    bool hasAttention = false;  ///< the project holds an attention snapshot of the run

    QString outputText() const;
};

/// "running" for the run being generated now; a run left running by a crashed session
/// reads as "interrupted".
QString runStatusText(prism::projects::run_status status, bool activeNow);

/// The run record as the playground shows it. `attention` (may be null) supplies token
/// pieces that the alternatives lack.
RunView runViewFromRecord(const prism::projects::run_record& record,
                          const prism::viz::attention_set* attention, bool activeNow);

/// The streamed tokens of one batch as a delta for project::append_run_output (tokens with
/// id < 0 carry text only).
prism::projects::run_output_delta outputDelta(const QVector<GeneratedToken>& tokens);

/// One line describing the parameters: "temp 0.8 · top-k 40 · top-p 0.95 · seed 5 · 128 tok".
QString paramsSummary(const prism::projects::generation_params& params);

}  // namespace prism::ui
