// Tokenizers: SentencePiece-style BPE (GGUF `tokenizer.ggml.model = llama`, llama2.c
// tokenizer.bin), byte-level BPE (GGUF `gpt2`, with the GPT-2 pre-tokenizer regex via PCRE2),
// and SentencePiece `.model` files through libsentencepiece.
//
// Sources: SentencePiece (Kudo & Richardson 2018) BPE with scores and <0xNN> byte fallback as
// llama.cpp's llm_tokenizer_spm implements it; GPT-2 byte-level BPE (Radford et al. 2019,
// openai/gpt-2 encoder.py) with merges ranked by order.
// Token ids are int32. Pieces are raw bytes (UTF-8 for text; a byte token decodes to its byte).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "prism/error.h"

namespace prism {

namespace gguf {
class file;
}

/// GGUF tokenizer.ggml.token_type values.
enum class token_type : int32_t {
    undefined = 0,
    normal = 1,
    unknown = 2,
    control = 3,
    user_defined = 4,
    unused = 5,
    byte = 6,
};

struct tokenize_params {
    bool add_bos = true;         ///< prepend BOS when the vocabulary defines one and asks for it
    bool parse_special = false;  ///< match control/user-defined token texts ("</s>") in the input
};

class tokenizer {
public:
    virtual ~tokenizer() = default;

    /// "llama" (SentencePiece BPE), "gpt2" (byte-level BPE), "sentencepiece" (.model file).
    virtual std::string_view kind() const = 0;
    virtual int32_t n_vocab() const = 0;
    /// Text to ids. Text that looks like a special token is plain text unless
    /// p.parse_special. add_bos honours the vocabulary's add_bos_token setting only to
    /// decide the default; p.add_bos = false never adds one.
    virtual std::vector<int32_t> encode(std::string_view text,
                                        const tokenize_params& p = {}) const = 0;
    /// Raw bytes a token stands for in decoded text ("▁" -> " ", <0x0A> -> "\n", GPT-2's
    /// byte-to-unicode mapping undone). Control tokens (BOS, EOS) give "".
    virtual std::string token_to_piece(int32_t id) const = 0;
    /// The vocabulary entry as stored ("▁Once", "<0x0A>", "<s>"), for display.
    virtual std::string token_text(int32_t id) const = 0;
    virtual token_type type_of(int32_t id) const = 0;

    virtual int32_t bos_id() const = 0;  ///< -1 if none
    virtual int32_t eos_id() const = 0;  ///< -1 if none
    /// SentencePiece's dummy prefix: decoding removes the leading space of the first piece
    /// after BOS.
    virtual bool add_space_prefix() const = 0;

    /// Ids to text: concatenated pieces, with the leading space of the first piece removed
    /// when add_space_prefix() (as SentencePiece's decoder does).
    std::string decode(std::span<const int32_t> ids) const;

    /// Reads the tokenizer in GGUF metadata (tokenizer.ggml.*). errc::format /
    /// errc::unsupported naming the key at fault.
    static result<std::shared_ptr<const tokenizer>> from_gguf(const gguf::file& f);
    /// A SentencePiece .model file (libsentencepiece).
    static result<std::shared_ptr<const tokenizer>> from_sentencepiece(const std::string& path);
    /// llama2.c tokenizer.bin: int32 max_token_length, then per token float32 score, int32
    /// length, bytes. n_vocab is the model's vocab_size (the file does not store it; 0 = read
    /// to the end of the file). Ids 0/1/2 are <unk>/<s>/</s>; <0xNN> pieces are byte tokens.
    static result<std::shared_ptr<const tokenizer>> from_llama2c(const std::string& path,
                                                                 int32_t n_vocab = 0);
    /// A tokenizer file of any supported kind: .model (SentencePiece), .gguf
    /// (vocabulary-only or full), tokenizer.json is not yet supported, else llama2.c.
    static result<std::shared_ptr<const tokenizer>> from_file(const std::string& path,
                                                              int32_t n_vocab = 0);
};

/// Incremental detokenizer for streaming: push ids one at a time, get the text that is
/// now complete. Never emits part of a UTF-8 sequence: bytes of a character split over
/// byte-fallback tokens are held until the character is whole. Applies the
/// SentencePiece leading-space rule to the first piece after BOS when `after_bos`.
class detokenizer_stream {
public:
    explicit detokenizer_stream(const tokenizer& tok, bool after_bos = true);
    /// Text completed by this token (possibly empty).
    std::string push(int32_t id);
    /// Whatever is still held back; invalid leftovers become U+FFFD.
    std::string flush();

private:
    const tokenizer& m_tok;
    bool m_strip_space;
    std::string m_pending;
};

}  // namespace prism
