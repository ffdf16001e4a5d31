#include "base/prometheus.hpp"

#include <cmath>
#include <cstdio>

namespace concert {

namespace {

std::string escape_help(const std::string& help) {
    std::string out;
    for (char c : help) {
        if (c == '\\') out += "\\\\";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

}  // namespace

std::string escape_label_value(const std::string& value) {
    std::string out;
    for (char c : value) {
        if (c == '\\') out += "\\\\";
        else if (c == '"') out += "\\\"";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

void Exposition::family(const std::string& name, const char* type, const std::string& help) {
    text_ += "# HELP " + name + " " + escape_help(help) + "\n# TYPE " + name + " " + type + "\n";
}

void Exposition::head(const std::string& name, const Labels& labels) {
    text_ += name;
    if (!labels.empty()) {
        text_ += '{';
        for (std::size_t i = 0; i < labels.size(); ++i) {
            if (i > 0) text_ += ',';
            text_ += labels[i].first + "=\"" + escape_label_value(labels[i].second) + '"';
        }
        text_ += '}';
    }
    text_ += ' ';
}

void Exposition::sample(const std::string& name, const Labels& labels, double value) {
    head(name, labels);
    char buf[64];
    if (std::isinf(value)) std::snprintf(buf, sizeof buf, value > 0 ? "+Inf" : "-Inf");
    else if (std::isnan(value)) std::snprintf(buf, sizeof buf, "NaN");
    else std::snprintf(buf, sizeof buf, "%.9g", value);
    text_ += buf;
    text_ += '\n';
}

void Exposition::sample(const std::string& name, const Labels& labels, std::uint64_t value) {
    head(name, labels);
    text_ += std::to_string(value);
    text_ += '\n';
}

}  // namespace concert
