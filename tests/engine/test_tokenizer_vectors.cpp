// Tokenizers against golden vectors from an independent implementation: llama.cpp's
// models/ggml-vocab-*.gguf.inp/.out (test-tokenizer-0), for the GGUF SentencePiece-BPE
// vocabulary (Llama 2), the GGUF byte-level BPE vocabulary (GPT-2), the llama2.c export of
// the Llama 2 vocabulary and the Llama 2 SentencePiece model (libsentencepiece). Also checks
// decode(encode(s)) == s on the same strings.
//
// File layout (as test-tokenizer-0 reads it): the .inp is the strings, each followed by the
// line "__ggml_vocab_test__", i.e. split on "\n__ggml_vocab_test__\n" and drop the empty
// remainder; the .out holds one line of space-separated ids per string, without BOS.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "prism/gguf.h"
#include "prism/tokenizer.h"
#include "test_paths.h"

namespace {

using prism::tokenizer;
using tokenizer_ptr = std::shared_ptr<const tokenizer>;

struct vocab_case {
    std::string text;
    std::vector<int32_t> ids;
};

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::vector<vocab_case> load_cases(const std::string& vocab_name) {
    const std::string base = prism::test::shared_path("models/llama.cpp-vocab/" + vocab_name);
    const std::string inp = slurp(base + ".inp");
    const std::string out = slurp(base + ".out");
    const std::string sep = "\n__ggml_vocab_test__\n";

    std::vector<std::string> texts;
    for (size_t pos = 0;;) {
        const size_t next = inp.find(sep, pos);
        if (next == std::string::npos) {
            if (pos < inp.size()) texts.push_back(inp.substr(pos));
            break;
        }
        texts.push_back(inp.substr(pos, next - pos));
        pos = next + sep.size();
    }
    std::vector<std::vector<int32_t>> id_lines;
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);) {
        std::istringstream ls(line);
        std::vector<int32_t> ids;
        for (int32_t id = 0; ls >> id;) ids.push_back(id);
        id_lines.push_back(std::move(ids));
    }
    EXPECT_EQ(texts.size(), id_lines.size()) << vocab_name;
    std::vector<vocab_case> cases;
    for (size_t i = 0; i < std::min(texts.size(), id_lines.size()); ++i)
        cases.push_back({texts[i], id_lines[i]});
    return cases;
}

std::string ids_str(const std::vector<int32_t>& ids) {
    std::string s;
    for (const int32_t id : ids) s += (s.empty() ? "" : " ") + std::to_string(id);
    return "[" + s + "]";
}

/// Printable form of a test string: escapes newlines and tabs.
std::string show(const std::string& s) {
    std::string out = "\"";
    for (const char c : s) {
        if (c == '\n') {
            out += "\\n";
        } else if (c == '\t') {
            out += "\\t";
        } else {
            out += c;
        }
    }
    return out + "\"";
}

tokenizer_ptr load(const std::string& rel) {
    auto t = tokenizer::from_file(prism::test::shared_path(rel));
    EXPECT_TRUE(t.has_value()) << rel << ": " << (t ? "" : t.error().message);
    return t ? *t : nullptr;
}

/// Encodes every case without BOS; fails at the first mismatch, naming the string.
void expect_vectors(const tokenizer& tok, const std::vector<vocab_case>& cases) {
    ASSERT_FALSE(cases.empty());
    for (size_t i = 0; i < cases.size(); ++i) {
        const auto got = tok.encode(cases[i].text, {.add_bos = false});
        ASSERT_EQ(got, cases[i].ids)
            << "first mismatch: case " << i << " " << show(cases[i].text) << "\n  expected "
            << ids_str(cases[i].ids) << "\n  got      " << ids_str(got);
    }
}

void expect_round_trip(const tokenizer& tok, const std::vector<vocab_case>& cases) {
    for (size_t i = 0; i < cases.size(); ++i) {
        const auto ids = tok.encode(cases[i].text, {.add_bos = false});
        ASSERT_EQ(tok.decode(ids), cases[i].text) << "case " << i << " " << show(cases[i].text);
        // With BOS in front the leading-space rule applies to the piece after it.
        const auto with_bos = tok.encode(cases[i].text);
        ASSERT_EQ(tok.decode(with_bos), cases[i].text) << "case " << i << " with BOS";
    }
}

TEST(tokenizer_vectors, inputs_are_read_as_llama_cpp_does) {
    const auto cases = load_cases("ggml-vocab-llama-spm.gguf");
    ASSERT_EQ(cases.size(), 46u);
    EXPECT_EQ(cases[0].text, "ied 4 \xC2\xBD months");
    EXPECT_EQ(cases[2].text, "");
    EXPECT_EQ(cases[3].text, " ");
    EXPECT_EQ(cases[7].text, "\n");
    EXPECT_TRUE(cases[2].ids.empty());
}

TEST(tokenizer_vectors, llama_spm_gguf) {
    const auto tok = load("models/llama.cpp-vocab/ggml-vocab-llama-spm.gguf");
    ASSERT_TRUE(tok);
    EXPECT_EQ(tok->kind(), "llama");
    EXPECT_EQ(tok->n_vocab(), 32000);
    EXPECT_EQ(tok->bos_id(), 1);
    EXPECT_EQ(tok->eos_id(), 2);
    EXPECT_TRUE(tok->add_space_prefix());
    expect_vectors(*tok, load_cases("ggml-vocab-llama-spm.gguf"));
}

TEST(tokenizer_vectors, llama_spm_gguf_round_trip) {
    const auto tok = load("models/llama.cpp-vocab/ggml-vocab-llama-spm.gguf");
    ASSERT_TRUE(tok);
    expect_round_trip(*tok, load_cases("ggml-vocab-llama-spm.gguf"));
}

TEST(tokenizer_vectors, gpt2_gguf) {
    const auto tok = load("models/llama.cpp-vocab/ggml-vocab-gpt-2.gguf");
    ASSERT_TRUE(tok);
    EXPECT_EQ(tok->kind(), "gpt2");
    EXPECT_EQ(tok->n_vocab(), 50257);
    EXPECT_FALSE(tok->add_space_prefix());
    // GPT-2 does not add BOS by default.
    EXPECT_EQ(tok->encode("Hello"), tok->encode("Hello", {.add_bos = false}));
    expect_vectors(*tok, load_cases("ggml-vocab-gpt-2.gguf"));
}

TEST(tokenizer_vectors, gpt2_gguf_round_trip) {
    // Byte-level BPE is lossless: every string comes back byte for byte.
    const auto tok = load("models/llama.cpp-vocab/ggml-vocab-gpt-2.gguf");
    ASSERT_TRUE(tok);
    expect_round_trip(*tok, load_cases("ggml-vocab-gpt-2.gguf"));
}

TEST(tokenizer_vectors, llama2c_export_of_llama2_vocab) {
    // tokenizer.bin holds the same pieces and scores as the llama-spm GGUF.
    const auto tok = load("models/llama2-tokenizer/tokenizer.bin");
    ASSERT_TRUE(tok);
    EXPECT_EQ(tok->kind(), "llama");
    EXPECT_EQ(tok->n_vocab(), 32000);
    const auto cases = load_cases("ggml-vocab-llama-spm.gguf");
    expect_vectors(*tok, cases);
    expect_round_trip(*tok, cases);
}

TEST(tokenizer_vectors, sentencepiece_library_agrees_with_gguf) {
    const auto spm = load("models/llama2-tokenizer/tokenizer.model");
    const auto gguf = load("models/llama.cpp-vocab/ggml-vocab-llama-spm.gguf");
    ASSERT_TRUE(spm && gguf);
    EXPECT_EQ(spm->kind(), "sentencepiece");
    EXPECT_EQ(spm->n_vocab(), gguf->n_vocab());
    EXPECT_TRUE(spm->add_space_prefix());
    for (int32_t id = 0; id < gguf->n_vocab(); ++id) {
        ASSERT_EQ(spm->token_text(id), gguf->token_text(id)) << "id " << id;
        ASSERT_EQ(spm->type_of(id), gguf->type_of(id)) << "id " << id;
    }
    const auto cases = load_cases("ggml-vocab-llama-spm.gguf");
    for (size_t i = 0; i < cases.size(); ++i) {
        const auto a = spm->encode(cases[i].text);
        const auto b = gguf->encode(cases[i].text);
        ASSERT_EQ(a, b) << "case " << i << " " << show(cases[i].text) << "\n  sentencepiece "
                        << ids_str(a) << "\n  gguf          " << ids_str(b);
    }
    expect_vectors(*spm, cases);
    expect_round_trip(*spm, cases);
}

}  // namespace
