-- Any request of a called, ACTIVE or lapsed ticket (a waiting one's polls
-- never come here): arg(1) the ticket, arg(2) its user. Claims a call,
-- stamps an ACTIVE ticket, brings a lapsed one back.
local t, u = arg(1), arg(2)
local status = touch(t, u)
return {'status', status, 'rejoin_position', rejoin_position(t)}
