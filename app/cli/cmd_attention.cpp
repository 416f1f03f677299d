// `prism attention`: generates with attention capture on, prints the text like `generate`,
// then writes what was asked: the matrices as .npy [n_layer, n_head, T, T] float32, a long
// CSV (one row per query/key pair), per-head statistics as JSON, a heatmap PNG of one head
// and a layers × heads grid PNG. T = prompt tokens (BOS included) + generated tokens.
#include <QApplication>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "generation_options.h"
#include "prism/attention_capture.h"
#include "prism/mapped_file.h"
#include "prism/npy.h"
#include "prism/viz/analysis.h"
#include "prism/viz/from_capture.h"
#include "prism/viz/labels.h"
#include "prism/viz/widgets/render.h"

namespace prism::cli {

namespace {

struct attention_options {
    generation_options gen;
    int layer = -1, head = -1;
    bool all = false;
    std::string npy, csv, png, grid_png, stats;
    double budget_mib = 2048;
};

result<void> write_csv(const viz::attention_set& set, const std::string& path) {
    std::ofstream out(path, std::ios::binary);
    if (!out) return std::unexpected(error{errc::io, "cannot write '" + path + "'", path});
    out << "layer,head,query,key,query_token,key_token,attention\n";
    const int64_t n = set.n_tokens();
    for (size_t li = 0; li < set.layers.size(); ++li)
        for (size_t hi = 0; hi < set.heads.size(); ++hi) {
            const auto& m = set.at(li, hi);
            for (int64_t q = 0; q < n; ++q)
                for (int64_t k = 0; k <= q; ++k)
                    out << set.layers[li] << ',' << set.heads[hi] << ',' << q << ',' << k << ','
                        << viz::csv_field(viz::token_label(set.pieces[static_cast<size_t>(q)], 0,
                                                           viz::label_style::csv))
                        << ','
                        << viz::csv_field(viz::token_label(set.pieces[static_cast<size_t>(k)], 0,
                                                           viz::label_style::csv))
                        << ',' << m.at(q, k) << '\n';
        }
    out.flush();
    if (!out) return std::unexpected(error{errc::io, "cannot write '" + path + "'", path});
    return {};
}

result<void> write_stats(const viz::attention_set& set, const std::string& path) {
    const auto stats = viz::compute_all_head_stats(set);
    nlohmann::json j;
    j["model"] = set.model;
    j["n_tokens"] = set.n_tokens();
    j["n_prompt"] = set.n_prompt;
    j["tokens"] = set.tokens;
    std::vector<std::string> labels;
    // Labels, not raw pieces: a byte-fallback piece is not valid UTF-8 on its own.
    for (const auto& p : set.pieces)
        labels.push_back(viz::token_label(p, 0, viz::label_style::csv));
    j["pieces"] = labels;
    j["units"] = {{"entropy", "nats (mean over query rows)"},
                  {"sink", "mean attention on position 0"},
                  {"prev_token", "mean attention on the previous position"},
                  {"local", "mean attention on the last 4 positions"},
                  {"induction", "mean attention on the token after an earlier occurrence"}};
    auto& heads = j["heads"] = nlohmann::json::array();
    for (size_t li = 0; li < set.layers.size(); ++li)
        for (size_t hi = 0; hi < set.heads.size(); ++hi) {
            const auto& s = stats[li * set.heads.size() + hi];
            heads.push_back({{"layer", set.layers[li]},
                             {"head", set.heads[hi]},
                             {"entropy", s.entropy},
                             {"sink", s.sink},
                             {"prev_token", s.prev_token},
                             {"local", s.local},
                             {"induction", s.induction}});
        }
    return file_write_atomic(path, j.dump(2) + "\n");
}

result<void> write_npy(const viz::attention_set& set, const std::string& path) {
    const int64_t n = set.n_tokens();
    std::vector<float> all;
    all.reserve(set.mats.size() * static_cast<size_t>(n * n));
    for (const auto& m : set.mats) all.insert(all.end(), m.p.begin(), m.p.end());
    const std::vector<int64_t> shape{static_cast<int64_t>(set.layers.size()),
                                     static_cast<int64_t>(set.heads.size()), n, n};
    return npy::save_f32(path, shape, all.data());
}

// PNG rendering needs a QApplication; the CLI draws offscreen (no display needed).
result<void> write_pngs(const attention_options& o, const viz::attention_set& set) {
    static int argc = 1;
    static char arg0[] = "prism";
    static char* argv[] = {arg0, nullptr};
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
    // Qt's informational warnings (e.g. no XDG_RUNTIME_DIR) are noise for a CLI user.
    qInstallMessageHandler([](QtMsgType type, const QMessageLogContext&, const QString& msg) {
        if (type == QtCriticalMsg || type == QtFatalMsg)
            std::fprintf(stderr, "prism: qt: %s\n", msg.toLocal8Bit().constData());
    });
    QApplication qt(argc, argv);
    QString err;
    if (!o.png.empty()) {
        // The selected head, or head 0 of the last captured layer.
        const int li = static_cast<int>(set.layers.size()) - 1;
        if (!viz::renderHeatmapPng(set, li, 0, QString::fromStdString(o.png), &err))
            return std::unexpected(error{errc::io, "heatmap: " + err.toStdString(), o.png});
        std::fprintf(stderr, "prism: wrote %s (layer %d, head %d)\n", o.png.c_str(),
                     set.layers[static_cast<size_t>(li)], set.heads[0]);
    }
    if (!o.grid_png.empty()) {
        if (!viz::renderHeadGridPng(set, QString::fromStdString(o.grid_png), &err))
            return std::unexpected(error{errc::io, "head grid: " + err.toStdString(), o.grid_png});
        std::fprintf(stderr, "prism: wrote %s\n", o.grid_png.c_str());
    }
    return {};
}

}  // namespace

command_fn add_attention(CLI::App& app) {
    auto o = std::make_shared<attention_options>();
    add_generation_options(app, o->gen);
    auto* layer = app.add_option("--layer", o->layer, "capture only this layer (0-based)")
                      ->check(CLI::Range(0, 1 << 20));
    auto* head = app.add_option("--head", o->head, "capture only this query head (0-based)")
                     ->check(CLI::Range(0, 1 << 20));
    auto* all = app.add_flag("--all", o->all, "capture every layer and head (the default)");
    all->excludes(layer)->excludes(head);
    app.add_option("--npy", o->npy, "write float32 [n_layer, n_head, T, T] to this .npy file");
    app.add_option("--csv", o->csv, "write layer,head,query,key,tokens,attention rows");
    app.add_option("--png", o->png, "write a heatmap of the selected (or last layer's first) head");
    app.add_option("--grid-png", o->grid_png, "write a layers x heads thumbnail grid");
    app.add_option("--stats", o->stats, "write per-head statistics as JSON");
    app.add_option("--budget-mib", o->budget_mib,
                   "memory the capture's stored rows may use (MiB; the exports need about as "
                   "much again)")
        ->check(CLI::Range(1.0, 1048576.0))
        ->capture_default_str();

    auto* n_opt = app.get_option("-n");
    return [o, n_opt]() -> int {
        if (o->npy.empty() && o->csv.empty() && o->png.empty() && o->grid_png.empty() &&
            o->stats.empty())
            return report("nothing to write: give --npy, --csv, --png, --grid-png or --stats");
        // Check every output before spending time generating.
        for (const std::string* path : {&o->npy, &o->csv, &o->png, &o->grid_png, &o->stats}) {
            if (path->empty()) continue;
            if (auto ok = file_check_output(*path); !ok) return report(ok.error());
        }
        for (const std::string* png : {&o->png, &o->grid_png})
            if (!png->empty() &&
                !std::filesystem::path(*png).extension().string().ends_with(".png"))
                return report("'" + *png + "' must end in .png (PNG is the image format written)");
        // Attention views are for short texts: without -n, generate 64 tokens, not a
        // whole context.
        if (n_opt->count() == 0) o->gen.gen.n_predict = 64;
        auto session = open_generation(o->gen);
        if (!session) return report(session.error());
        const auto& hp = session->model->hparams();
        attention_capture_params cp;
        if (o->layer >= 0) cp.layers = {o->layer};
        if (o->head >= 0) cp.heads = {o->head};
        cp.memory_budget = static_cast<size_t>(o->budget_mib * 1024 * 1024);
        auto capture = attention_capture::create(hp, cp);
        if (!capture) return report(capture.error());
        generate_params p = o->gen.gen;
        p.capture = &*capture;
        auto res = generate_to_stdout(*session, p);
        if (!res) return report(res.error());
        std::vector<int32_t> tokens = res->prompt_tokens;
        tokens.insert(tokens.end(), res->tokens.begin(), res->tokens.end());
        const auto set = viz::attention_set_from_capture(
            *capture, tokens, static_cast<int32_t>(res->prompt_tokens.size()),
            session->model->vocab(), hp, std::filesystem::path(session->path).filename().string());
        auto plural = [](size_t n, const char* word) {
            return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
        };
        std::fprintf(stderr, "prism: captured %s x %s over %s\n",
                     plural(set.layers.size(), "layer").c_str(),
                     plural(set.heads.size(), "head").c_str(),
                     plural(static_cast<size_t>(set.n_tokens()), "token").c_str());
        auto wrote = [](const std::string& path, const result<void>& ok) {
            if (ok) std::fprintf(stderr, "prism: wrote %s\n", path.c_str());
            return ok.has_value();
        };
        if (!o->npy.empty()) {
            auto ok = write_npy(set, o->npy);
            if (!wrote(o->npy, ok)) return report(ok.error());
        }
        if (!o->csv.empty()) {
            auto ok = write_csv(set, o->csv);
            if (!wrote(o->csv, ok)) return report(ok.error());
        }
        if (!o->stats.empty()) {
            auto ok = write_stats(set, o->stats);
            if (!wrote(o->stats, ok)) return report(ok.error());
        }
        if (!o->png.empty() || !o->grid_png.empty())
            if (auto ok = write_pngs(*o, set); !ok) return report(ok.error());
        return 0;
    };
}

}  // namespace prism::cli
