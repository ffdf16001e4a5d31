#include "users.hpp"

#include "http.hpp"
#include "json.hpp"

namespace concert {

std::string parse_sign_up(std::string_view body) {
    JsonPtr obj = parse_object(body);
    std::string name = require_string(obj.get(), "name", 1, kNameMaxChars);
    if (name.find_first_not_of(" \t\r\n") == std::string::npos) {
        throw HttpError{400, "name must not be blank"};
    }
    return name;
}

}  // namespace concert
