#pragma once
// The Prometheus text exposition format (version 0.0.4), written: families
// with HELP and TYPE, samples with escaped label values.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace concert {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Exposition {
public:
    // Starts a family: '# HELP name help' and '# TYPE name type'. Every
    // sample after it, until the next family, belongs to it.
    void family(const std::string& name, const char* type, const std::string& help);
    void sample(const std::string& name, const Labels& labels, double value);
    void sample(const std::string& name, const Labels& labels, std::uint64_t value);
    const std::string& text() const { return text_; }

private:
    void head(const std::string& name, const Labels& labels);
    std::string text_;
};

// A label value as the format wants it: \ " and newline escaped.
std::string escape_label_value(const std::string& value);

inline constexpr const char* kExpositionContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace concert
