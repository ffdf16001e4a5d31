#include "rules/users.hpp"

#include "base/error.hpp"
#include "base/json.hpp"
#include "base/uuid.hpp"

namespace concert {

std::string parse_sign_up(std::string_view body) {
    JsonPtr obj = parse_object(body);
    std::string name = require_string(obj.get(), "name", 1, kNameMaxChars);
    if (name.find_first_not_of(" \t\r\n") == std::string::npos) {
        throw HttpError{400, "name must not be blank"};
    }
    return name;
}

std::string user_id_from_path(std::string_view path) {
    constexpr std::string_view kPrefix = "/api/v1/users/";
    if (path.substr(0, kPrefix.size()) == kPrefix) {
        std::string_view rest = path.substr(kPrefix.size());
        std::string_view id = rest.substr(0, rest.find('/'));
        if (is_canonical_uuid(id)) return std::string(id);
    }
    throw HttpError{400, "userId must be a UUID in lower-case canonical form"};
}

std::string parse_token_request(std::string_view body) {
    JsonPtr obj = parse_object(body);
    const cJSON* item = cJSON_GetObjectItemCaseSensitive(obj.get(), "userId");
    if (item == nullptr || cJSON_IsNull(item)) throw HttpError{400, "userId is required"};
    if (!cJSON_IsString(item) || !is_canonical_uuid(item->valuestring)) {
        throw HttpError{400, "userId must be a UUID in lower-case canonical form"};
    }
    return item->valuestring;
}

}  // namespace concert
