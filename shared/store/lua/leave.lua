-- DELETE /queue/token, and a payment's end: arg(1) the ticket, arg(2) its
-- user. The ticket is over; a slot it held goes to the next place. A ticket
-- of another user is left alone.
local t, u = arg(1), arg(2)
if ticket_of(u) == tonumber(t) then end_ticket(t, u) end
advance(nil, nil)
return {'done', 1}
