#include "users.hpp"

#include "http.hpp"
#include "json.hpp"
#include "uuid.hpp"

namespace concert {

std::string parse_sign_up(std::string_view body) {
    JsonPtr obj = parse_object(body);
    std::string name = require_string(obj.get(), "name", 1, kNameMaxChars);
    if (name.find_first_not_of(" \t\r\n") == std::string::npos) {
        throw HttpError{400, "name must not be blank"};
    }
    return name;
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
