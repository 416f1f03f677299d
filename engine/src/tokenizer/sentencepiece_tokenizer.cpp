// SentencePiece `.model` files through libsentencepiece (google/sentencepiece): the library
// normalizes and encodes raw text, so any model type it supports (BPE, unigram) works.
//
// The vocabulary (pieces, scores, types) is copied out of the processor into the shared
// `vocab` table, which serves the id-level queries, decoding and the split around special
// tokens: the library never treats "</s>" in text as a control token, so with parse_special
// the text is cut at control-token texts first and each raw fragment is encoded on its own,
// as llama.cpp does.
#include <sentencepiece_processor.h>

#include <filesystem>

#include "vocab.h"

namespace prism::tokenizer_detail {
namespace {

class sentencepiece_tokenizer final : public vocab_tokenizer {
public:
    sentencepiece_tokenizer(std::unique_ptr<sentencepiece::SentencePieceProcessor> sp, vocab_data d)
        : vocab_tokenizer(std::move(d)), m_sp(std::move(sp)) {
        m_pieces = spm_pieces(m_vocab);
    }

    std::string_view kind() const override { return "sentencepiece"; }

    std::vector<int32_t> encode(std::string_view text, const tokenize_params& p) const override {
        std::vector<int32_t> out;
        if (p.add_bos && m_vocab.add_bos() && m_vocab.bos() >= 0) out.push_back(m_vocab.bos());
        std::vector<int> ids;
        for (const fragment& f : m_vocab.split_special(text, p.parse_special)) {
            if (f.id >= 0) {
                out.push_back(f.id);
                continue;
            }
            ids.clear();
            const auto st = m_sp->Encode(f.text, &ids);
            if (!st.ok())
                throw engine_error(errc::internal, "sentencepiece Encode failed: " + st.ToString());
            out.insert(out.end(), ids.begin(), ids.end());
        }
        return out;
    }

private:
    std::unique_ptr<sentencepiece::SentencePieceProcessor> m_sp;
};

/// Whether the model adds SentencePiece's dummy prefix. The flag lives in the model proto,
/// whose header the library does not install, so it is observed instead: with the prefix,
/// the first piece of "a" starts with "▁" (or is the byte fallback of its first byte).
bool observes_dummy_prefix(const sentencepiece::SentencePieceProcessor& sp) {
    std::vector<std::string> pieces;
    if (!sp.Encode("a", &pieces).ok() || pieces.empty()) return true;
    return pieces.front().starts_with(space_marker) || pieces.front() == "<0xE2>";
}

}  // namespace
}  // namespace prism::tokenizer_detail

namespace prism {

result<std::shared_ptr<const tokenizer>> tokenizer::from_sentencepiece(const std::string& path) {
    return catch_to_result(
        [&]() -> std::shared_ptr<const tokenizer> {
            std::error_code ec;
            if (!std::filesystem::is_regular_file(path, ec))
                throw engine_error(errc::io,
                                   "cannot open SentencePiece model '" + path + "': no such file");
            auto sp = std::make_unique<sentencepiece::SentencePieceProcessor>();
            const auto st = sp->Load(path);
            if (!st.ok())
                throw engine_error(errc::format, "cannot load SentencePiece model '" + path +
                                                     "': " + st.ToString());
            tokenizer_detail::vocab_data d;
            const int n = sp->GetPieceSize();
            d.texts.reserve(static_cast<size_t>(n));
            d.scores.reserve(static_cast<size_t>(n));
            d.types.reserve(static_cast<size_t>(n));
            for (int i = 0; i < n; ++i) {
                d.texts.push_back(sp->IdToPiece(i));
                d.scores.push_back(sp->GetScore(i));
                token_type t = token_type::normal;
                if (sp->IsUnknown(i)) {
                    t = token_type::unknown;
                } else if (sp->IsControl(i)) {
                    t = token_type::control;
                } else if (sp->IsByte(i)) {
                    t = token_type::byte;
                } else if (sp->IsUnused(i)) {
                    t = token_type::unused;
                }
                d.types.push_back(t);
            }
            d.bos = sp->bos_id();
            d.eos = sp->eos_id();
            d.unk = sp->unk_id();
            d.add_bos = true;
            d.add_space_prefix = tokenizer_detail::observes_dummy_prefix(*sp);
            return std::make_shared<const tokenizer_detail::sentencepiece_tokenizer>(std::move(sp),
                                                                                     std::move(d));
        },
        path);
}

}  // namespace prism
