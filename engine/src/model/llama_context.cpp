// The batched Llama forward and its KV cache (see llama.h). Per layer:
//   h = RMSNorm(x)·w_attn_norm; q,k,v = h·Wqᵀ, h·Wkᵀ, h·Wvᵀ; RoPE(q, k); store k,v in the
//   sequence's cache slot; a = Attention(q, K, V)·Woᵀ; x += a;
//   h = RMSNorm(x)·w_ffn_norm; x += (silu(h·Wgateᵀ) ⊙ h·Wupᵀ)·Wdownᵀ
// then logits = RMSNorm(x)·w_out_norm · Woutᵀ for the rows that asked for them.
// Tokens of one batch may belong to different sequences; attention runs per sequence on
// that sequence's slot, so each sequence sees only its own history.
#include <algorithm>
#include <cstring>

#include "prism/llama.h"

namespace prism {

namespace {

void check(bool ok, const std::string& message) {
    if (!ok) throw engine_error(errc::invalid_argument, message);
}

}  // namespace

result<std::unique_ptr<llama_context>>
llama_context::create(std::shared_ptr<const llama_model> model, const context_params& p) {
    return catch_to_result([&]() -> std::unique_ptr<llama_context> {
        check(model != nullptr, "llama_context: no model");
        const auto& hp = model->hparams();
        check(p.n_ctx >= 0, "n_ctx must be >= 0, got " + std::to_string(p.n_ctx));
        check(p.n_seq_max >= 1 && p.n_seq_max <= 4096,
              "n_seq_max must be in [1, 4096], got " + std::to_string(p.n_seq_max));
        check(p.n_threads >= 0 && p.n_threads <= 1024,
              "n_threads must be in [0, 1024], got " + std::to_string(p.n_threads));
        std::unique_ptr<llama_context> ctx(new llama_context());
        ctx->m_model = std::move(model);
        ctx->m_n_ctx =
            p.n_ctx > 0 ? p.n_ctx : std::min(hp.n_ctx_train > 0 ? hp.n_ctx_train : 2048, 4096);
        ctx->m_n_seq_max = p.n_seq_max;
        ctx->m_seq_len.assign(static_cast<size_t>(p.n_seq_max), 0);
        ctx->m_backend = backend_cpu_create(p.n_threads);
        const size_t kv_dim = static_cast<size_t>(hp.n_head_kv) * hp.head_dim();
        const size_t bytes =
            kv_dim * ctx->m_n_ctx * static_cast<size_t>(p.n_seq_max) * sizeof(float);
        for (int32_t l = 0; l < hp.n_layer; ++l) {
            ctx->m_k.push_back(ctx->m_backend->alloc(bytes));
            ctx->m_v.push_back(ctx->m_backend->alloc(bytes));
        }
        return ctx;
    });
}

llama_context::~llama_context() = default;

size_t llama_context::kv_cache_bytes() const {
    size_t n = 0;
    for (const auto& b : m_k) n += b->size();
    for (const auto& b : m_v) n += b->size();
    return n;
}

void llama_context::kv_cache_seq_remove(int32_t seq, int32_t p0) {
    auto& len = m_seq_len.at(static_cast<size_t>(seq));
    len = std::min(len, std::max(0, p0));
}

void llama_context::kv_cache_clear() {
    std::fill(m_seq_len.begin(), m_seq_len.end(), 0);
}

std::span<const float> llama_context::logits(int32_t i) const {
    const auto n_vocab = static_cast<size_t>(m_model->hparams().n_vocab);
    if (i < 0 || i >= m_n_outputs) return {};
    return {m_logits.data() + static_cast<size_t>(i) * n_vocab, n_vocab};
}

result<void> llama_context::decode(const llama_batch& batch) {
    return catch_to_result([&] {
        const auto& hp = m_model->hparams();
        check(batch.size() > 0, "decode: empty batch");
        check(batch.pos.size() == batch.size() && batch.seq_id.size() == batch.size() &&
                  batch.want_logits.size() == batch.size(),
              "decode: batch arrays differ in length");
        std::vector<int32_t> next = m_seq_len;
        for (size_t i = 0; i < batch.size(); ++i) {
            const int32_t tok = batch.token[i], s = batch.seq_id[i], p = batch.pos[i];
            check(tok >= 0 && tok < hp.n_vocab, "decode: token id " + std::to_string(tok) +
                                                    " out of range [0, " +
                                                    std::to_string(hp.n_vocab) + ")");
            check(s >= 0 && s < m_n_seq_max, "decode: sequence id " + std::to_string(s) +
                                                 " out of range [0, " +
                                                 std::to_string(m_n_seq_max) + ")");
            check(p == next[static_cast<size_t>(s)],
                  "decode: sequence " + std::to_string(s) + " expects position " +
                      std::to_string(next[static_cast<size_t>(s)]) + ", got " + std::to_string(p));
            check(p < m_n_ctx, "decode: sequence " + std::to_string(s) +
                                   " is full (context length " + std::to_string(m_n_ctx) + ")");
            ++next[static_cast<size_t>(s)];
        }
        forward(batch);
        m_seq_len = std::move(next);
    });
}

void llama_context::emit_probs(int32_t layer, int32_t seq, std::span<const int32_t> pos,
                               std::span<const float> probs, int64_t stride) {
    const int64_t n_head = m_model->hparams().n_head;
    std::vector<float> row;
    for (size_t j = 0; j < pos.size(); ++j) {
        // Pack [n_head][pos + 1] contiguously for the tap.
        const int64_t n_kv = pos[j] + 1;
        row.resize(static_cast<size_t>(n_head * n_kv));
        for (int64_t h = 0; h < n_head; ++h)
            std::copy_n(probs.data() + (static_cast<int64_t>(j) * n_head + h) * stride, n_kv,
                        row.data() + h * n_kv);
        m_tap.on_tensor({"attn_probs", layer, seq, pos[j], n_head, n_kv, row});
    }
}

void llama_context::forward(const llama_batch& batch) {
    const auto& hp = m_model->hparams();
    backend& be = *m_backend;
    const auto n = static_cast<int64_t>(batch.size());
    const int64_t n_embd = hp.n_embd, head_dim = hp.head_dim();
    const int64_t q_dim = hp.n_head * head_dim, kv_dim = hp.n_head_kv * head_dim;

    auto& [x, h, q, k, v, att, gate, up, tmp] = m_scratch;
    for (auto [buf, size] : {std::pair{&x, n_embd},
                             {&h, n_embd},
                             {&q, q_dim},
                             {&k, kv_dim},
                             {&v, kv_dim},
                             {&att, q_dim},
                             {&gate, int64_t{hp.n_ff}},
                             {&up, int64_t{hp.n_ff}},
                             {&tmp, n_embd}})
        if (buf->size() < static_cast<size_t>(n * size)) buf->resize(static_cast<size_t>(n * size));
    be.get_rows(m_model->token_embd(), batch.token.data(), n, x.data());

    // Group the batch rows by sequence so attention runs per cache slot.
    std::vector<std::vector<int64_t>> rows_of(static_cast<size_t>(m_n_seq_max));
    for (int64_t i = 0; i < n; ++i) rows_of[static_cast<size_t>(batch.seq_id[i])].push_back(i);
    std::vector<float> qs, outs;
    std::vector<int32_t> ps;

    auto wants = [&](std::string_view name, int32_t l) {
        return m_tap.wants && m_tap.on_tensor && m_tap.wants(name, l);
    };
    // Per-token rows of a [n, n_embd] activation to the tap.
    auto emit_rows = [&](std::string_view name, int32_t l, const float* data) {
        for (int64_t i = 0; i < n; ++i)
            m_tap.on_tensor({name, l, batch.seq_id[i], batch.pos[i], 1, n_embd,
                             std::span<const float>(data + i * n_embd, n_embd)});
    };
    std::vector<float> probs;

    for (int32_t l = 0; l < hp.n_layer; ++l) {
        const auto& L = m_model->layers()[static_cast<size_t>(l)];
        const bool want_probs = wants("attn_probs", l);
        be.rms_norm(x.data(), *L.attn_norm, h.data(), n, hp.rms_norm_eps);
        be.matmul(*L.wq, h.data(), n, q.data());
        be.matmul(*L.wk, h.data(), n, k.data());
        be.matmul(*L.wv, h.data(), n, v.data());
        be.rope(q.data(), n, hp.n_head, head_dim, hp.n_rot, batch.pos.data(), hp.rope_theta,
                hp.rope);
        be.rope(k.data(), n, hp.n_head_kv, head_dim, hp.n_rot, batch.pos.data(), hp.rope_theta,
                hp.rope);
        float* kc = m_k[static_cast<size_t>(l)]->data();
        float* vc = m_v[static_cast<size_t>(l)]->data();
        const int64_t slot = static_cast<int64_t>(m_n_ctx) * kv_dim;
        // Keys transposed (one row of n_ctx positions per KV head × dimension), values
        // position-major: the layouts backend::attention reads.
        for (int64_t i = 0; i < n; ++i) {
            float* kt = kc + batch.seq_id[i] * slot + batch.pos[i];
            for (int64_t j = 0; j < kv_dim; ++j) kt[j * m_n_ctx] = k[i * kv_dim + j];
            std::memcpy(vc + batch.seq_id[i] * slot + batch.pos[i] * kv_dim, v.data() + i * kv_dim,
                        kv_dim * sizeof(float));
        }
        for (int32_t s = 0; s < m_n_seq_max; ++s) {
            const auto& rows = rows_of[static_cast<size_t>(s)];
            if (rows.empty()) continue;
            const auto m = static_cast<int64_t>(rows.size());
            qs.resize(m * q_dim), outs.resize(m * q_dim), ps.resize(rows.size());
            for (int64_t j = 0; j < m; ++j) {
                std::memcpy(qs.data() + j * q_dim, q.data() + rows[j] * q_dim,
                            q_dim * sizeof(float));
                ps[j] = batch.pos[rows[j]];
            }
            const int64_t stride = want_probs ? *std::max_element(ps.begin(), ps.end()) + 1 : 0;
            if (want_probs) probs.resize(static_cast<size_t>(m * hp.n_head * stride));
            be.attention(qs.data(), kc + s * slot, m_n_ctx, vc + s * slot, ps.data(), m, hp.n_head,
                         hp.n_head_kv, head_dim, outs.data(), want_probs ? probs.data() : nullptr,
                         stride);
            for (int64_t j = 0; j < m; ++j)
                std::memcpy(att.data() + rows[j] * q_dim, outs.data() + j * q_dim,
                            q_dim * sizeof(float));
            if (want_probs) emit_probs(l, s, ps, probs, stride);
        }
        be.matmul(*L.wo, att.data(), n, tmp.data());
        if (wants("attn_out", l)) emit_rows("attn_out", l, tmp.data());
        be.add(x.data(), tmp.data(), n * n_embd);

        be.rms_norm(x.data(), *L.ffn_norm, h.data(), n, hp.rms_norm_eps);
        be.matmul(*L.ffn_gate, h.data(), n, gate.data());
        be.matmul(*L.ffn_up, h.data(), n, up.data());
        be.swiglu(gate.data(), up.data(), n * hp.n_ff);
        be.matmul(*L.ffn_down, gate.data(), n, tmp.data());
        if (wants("ffn_out", l)) emit_rows("ffn_out", l, tmp.data());
        be.add(x.data(), tmp.data(), n * n_embd);
        if (wants("resid", l)) emit_rows("resid", l, x.data());
    }

    // Final norm and classifier only for the rows that want logits.
    std::vector<float> out_rows;
    for (int64_t i = 0; i < n; ++i)
        if (batch.want_logits[i])
            out_rows.insert(out_rows.end(), x.begin() + i * n_embd, x.begin() + (i + 1) * n_embd);
    m_n_outputs = static_cast<int32_t>(out_rows.size() / n_embd);
    m_logits.assign(static_cast<size_t>(m_n_outputs) * hp.n_vocab, 0.0f);
    if (m_n_outputs == 0) return;
    be.rms_norm(out_rows.data(), m_model->output_norm(), out_rows.data(), m_n_outputs,
                hp.rms_norm_eps);
    be.matmul(m_model->output(), out_rows.data(), m_n_outputs, m_logits.data());
}

}  // namespace prism
