// Heatmap preparation (HeatmapView.h). Colour data per scale: Linear maps [0, max];
// Log maps [smallest nonzero, max] on a log axis with zeros clamped to the lower end;
// Rank replaces each nonzero value by its percentile among the displayed nonzero values
// (ties share their mean rank). Cells entirely above the diagonal whose values are all
// zero are the causal mask and are drawn as NaN (grey), not as "low attention".
#include "heatmap_view.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <limits>
#include <stdexcept>
#include <string>

#include "prism/viz/analysis.h"

namespace prism::viz {

QString attentionModeName(AttentionMode mode) {
    switch (mode) {
    case AttentionMode::Head:
        return QStringLiteral("Head");
    case AttentionMode::MeanOverHeads:
        return QStringLiteral("Mean over heads");
    case AttentionMode::MaxOverHeads:
        return QStringLiteral("Max over heads");
    case AttentionMode::Rollout:
        return QStringLiteral("Rollout");
    }
    return {};
}

QString colorScaleName(ColorScale scale) {
    switch (scale) {
    case ColorScale::Linear:
        return QStringLiteral("Linear");
    case ColorScale::Log:
        return QStringLiteral("Log");
    case ColorScale::Rank:
        return QStringLiteral("Rank");
    }
    return {};
}

namespace {

void checkIndex(int index, size_t size, const char* what) {
    if (index < 0 || static_cast<size_t>(index) >= size) {
        throw std::out_of_range(std::string(what) + " index " + std::to_string(index) +
                                " out of range (" + std::to_string(size) + " captured)");
    }
}

/// Percentile ranks of the nonzero, non-NaN values of `values`, in place; zeros stay 0.
void rankTransform(std::vector<double>& values) {
    std::vector<double> sorted;
    sorted.reserve(values.size());
    for (const double v : values)
        if (v > 0) sorted.push_back(v);
    std::sort(sorted.begin(), sorted.end());
    const double denominator = sorted.size() > 1 ? static_cast<double>(sorted.size() - 1) : 1.0;
    for (double& v : values) {
        if (!(v > 0)) continue;
        const auto lo = std::lower_bound(sorted.begin(), sorted.end(), v) - sorted.begin();
        const auto hi = std::upper_bound(sorted.begin(), sorted.end(), v) - sorted.begin() - 1;
        v = sorted.size() > 1 ? (static_cast<double>(lo + hi) / 2.0) / denominator : 1.0;
    }
}

}  // namespace

attn_matrix viewMatrix(const attention_set& set, AttentionMode mode, int layerIndex,
                       int headIndex) {
    if (set.mats.empty() || set.n_tokens() == 0) throw std::invalid_argument("no attention");
    switch (mode) {
    case AttentionMode::Head:
        checkIndex(layerIndex, set.layers.size(), "layer");
        checkIndex(headIndex, set.heads.size(), "head");
        return set.at(static_cast<size_t>(layerIndex), static_cast<size_t>(headIndex));
    case AttentionMode::MeanOverHeads:
    case AttentionMode::MaxOverHeads:
        checkIndex(layerIndex, set.layers.size(), "layer");
        return aggregate_layer(set, static_cast<size_t>(layerIndex),
                               mode == AttentionMode::MeanOverHeads ? head_aggregate::mean
                                                                    : head_aggregate::max);
    case AttentionMode::Rollout:
        return attention_rollout(set);
    }
    throw std::invalid_argument("unknown attention mode");
}

QString viewTitle(const attention_set& set, AttentionMode mode, int layerIndex, int headIndex,
                  bool hideSink) {
    const QString model =
        set.model.empty() ? QStringLiteral("attention") : QString::fromStdString(set.model);
    const auto layer = [&] {
        return layerIndex >= 0 && static_cast<size_t>(layerIndex) < set.layers.size()
                   ? set.layers[static_cast<size_t>(layerIndex)]
                   : layerIndex;
    };
    QString what;
    switch (mode) {
    case AttentionMode::Head: {
        const int head = headIndex >= 0 && static_cast<size_t>(headIndex) < set.heads.size()
                             ? set.heads[static_cast<size_t>(headIndex)]
                             : headIndex;
        what = QStringLiteral("layer %1, head %2").arg(layer()).arg(head);
        break;
    }
    case AttentionMode::MeanOverHeads:
        what = QStringLiteral("layer %1, mean over heads").arg(layer());
        break;
    case AttentionMode::MaxOverHeads:
        what = QStringLiteral("layer %1, max over heads").arg(layer());
        break;
    case AttentionMode::Rollout:
        what = set.layers.empty() ? QStringLiteral("rollout")
                                  : QStringLiteral("rollout over layers %1–%2")
                                        .arg(set.layers.front())
                                        .arg(set.layers.back());
        break;
    }
    QString title = model + QStringLiteral(" — ") + what;
    if (hideSink) title += QStringLiteral(" (sink hidden)");
    return title;
}

HeatmapView prepareHeatmapView(const attention_set& set, HeatmapRequest request,
                               const std::function<bool()>& superseded) {
    HeatmapView view;
    view.preparedOn = QThread::currentThread();
    std::shared_ptr<const attn_matrix> full = std::move(request.reuseFull);
    view.request = request;
    const auto stop = [&] { return superseded && superseded(); };
    try {
        if (!full || full->n != set.n_tokens()) {
            attn_matrix m = viewMatrix(set, request.mode, request.layerIndex, request.headIndex);
            if (stop()) return view.superseded = true, view;
            if (request.hideSink) m = without_sink(m);
            full = std::make_shared<const attn_matrix>(std::move(m));
        }
        if (stop()) return view.superseded = true, view;
        view.full = full;
        if (request.maxCells > 0 && full->n > request.maxCells) {
            view.displayed = downsample(*full, request.maxCells, pooling::mean);
            view.block = (full->n + request.maxCells - 1) / request.maxCells;
        } else {
            view.displayed = *full;
        }
        if (stop()) return view.superseded = true, view;

        const attn_matrix& d = view.displayed;
        view.color.assign(d.p.begin(), d.p.end());
        double maxValue = 0;
        double minNonzero = std::numeric_limits<double>::infinity();
        for (int64_t q = 0; q < d.n; ++q) {
            for (int64_t k = 0; k < d.n; ++k) {
                double& c = view.color[static_cast<size_t>(q * d.n + k)];
                if (k > q && c == 0) {
                    c = std::numeric_limits<double>::quiet_NaN();
                    continue;
                }
                maxValue = std::max(maxValue, c);
                if (c > 0) minNonzero = std::min(minNonzero, c);
            }
        }
        if (!(maxValue > 0)) maxValue = 1;
        switch (request.scale) {
        case ColorScale::Linear:
            view.colorLower = 0;
            view.colorUpper = maxValue;
            view.colorLabel = QStringLiteral("attention probability");
            break;
        case ColorScale::Log: {
            double lower = std::isfinite(minNonzero) ? minNonzero : maxValue * 1e-6;
            lower = std::max(lower, maxValue * 1e-6);
            if (!(lower < maxValue)) lower = maxValue / 10;
            for (double& c : view.color)
                if (!std::isnan(c)) c = std::max(c, lower);
            view.colorLower = lower;
            view.colorUpper = maxValue;
            view.colorLog = true;
            view.colorLabel = QStringLiteral("attention probability (log)");
            break;
        }
        case ColorScale::Rank:
            rankTransform(view.color);
            view.colorLower = 0;
            view.colorUpper = 1;
            view.colorLabel = QStringLiteral("percentile among nonzero values");
            break;
        }
        // Pooled cells average block × block tokens (masked future cells count as 0): say so,
        // or a 0.5 peak would read as an exact probability.
        if (view.block > 1)
            view.colorLabel += QStringLiteral(", mean of %1×%1-token blocks").arg(view.block);
    } catch (const std::exception& e) {
        view.error = QString::fromUtf8(e.what());
    }
    return view;
}

}  // namespace prism::viz
