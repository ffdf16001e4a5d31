#pragma once
// The SQL rules every query and procedure shares, written once in
// rules/sql_rules.def (see there): kSeatIsFree, kHoldIsLive, kHoldLapsed,
// kReservationIsLive, kReservationLapsed, kSeatHeldByReservation,
// kReleaseSeat and kSqlMode, each a `constexpr const char*`.

namespace concert {

#define SQL_RULE(name, text) constexpr const char* name = text;
#include "rules/sql_rules.def"
#undef SQL_RULE

}  // namespace concert
