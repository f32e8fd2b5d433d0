-- support_ticket_events from Zendesk as synced by Fivetran (PostgreSQL).
-- Two sources:
-- * ticket_comment, one event per comment: public -> message, private ->
--   note.  The first comment is the ticket's description (its author is the
--   submitter).  Actor: the ticket's requester -> customer (even an agent who
--   filed a ticket for themselves); agent/admin -> agent; Zendesk itself
--   (user -1 / no author) -> bot; anyone else (end users, CCs, unknown ids)
--   -> customer.  Zendesk's own auto-replies (trigger e-mail notifications)
--   are not comments at all, so they never appear; comments an integration
--   or AI agent posts as its own user read as agent unless its user id is
--   added to the `IN (-1)` lists below.
-- * ticket_field_history (one row per field change; no id, key
--   (field_name, ticket_id, updated)):
--   - status -> a status event (new, open, pending, hold -> on_hold, solved,
--     closed, deleted; 'on-hold' accepted too; anything else -> open);
--   - group_id / assignee_id -> one assign event per (ticket, instant) at
--     which either changed, carrying the ticket's full assignment as of that
--     instant: team = the group's name (its id when the group is unknown),
--     agent_id = the assignee (NULL when none).  The creation audit gives the
--     first assignment; a group change that also changes the assignee (Zendesk
--     drops an assignee who is not in the new group) is one event.
--   Actor of a field change: user_id NULL or < 0 (automations, Zendesk) ->
--   system; the requester -> customer (a reply to a pending/solved ticket
--   reopens it as the customer: customer-confirmed logic works); agent/admin
--   -> agent; another end user -> customer; unknown -> system.  Trigger
--   actions are recorded under the author of the update that fired them.
-- ids: ticket_field_history has no id, and the id must be one increasing
-- scale across both sources, so every id is built from the event's own time:
--   id = (epoch seconds - 946684800) << 32 | low 32 bits     (946684800 = 2000-01-01)
--   comment:  low = comment id mod 2^31                          (bit 31 = 0)
--   history:  low = 2^31 | (ticket_id mod 2^27) << 4 | code      (code 1 status, 2 assign)
-- Unique: Zendesk times have whole seconds; (ticket, second, code) is a key of
-- the history events; two comments of one account in the same second never
-- differ by a multiple of 2^31.  Increasing with time, not with arrival:
-- Fivetran lands rows in batches, so rows can arrive with a time (and id)
-- older than ids already read; see notes.md ("ids and late arrivals") for the
-- late_arrival setting this needs.  id >> 32 gives back the second.
SELECT ((CAST(floor(extract(epoch FROM c.created)) AS bigint) - 946684800) << 32)
         | (c.id & 2147483647) AS id,
       c.ticket_id AS ticket_id,
       c.created AS occurred_at,
       CASE WHEN c.public IS FALSE THEN 'note' ELSE 'message' END AS kind,
       CASE
         WHEN c.user_id IS NULL OR c.user_id < 0 OR c.user_id IN (-1) THEN 'bot'
         WHEN c.user_id = t.requester_id THEN 'customer'
         WHEN u.role IN ('agent', 'admin') THEN 'agent'
         ELSE 'customer'
       END AS actor,
       c.user_id AS actor_id,
       CAST(NULL AS text) AS team,
       CAST(NULL AS text) AS agent_id,
       CAST(NULL AS text) AS status
  FROM ticket_comment c
  LEFT JOIN ticket t ON t.id = c.ticket_id
  LEFT JOIN "user" u ON u.id = c.user_id
UNION ALL
SELECT ((CAST(floor(extract(epoch FROM h.updated)) AS bigint) - 946684800) << 32)
         | 2147483648 | ((h.ticket_id & 134217727) << 4) | 1,
       h.ticket_id,
       h.updated,
       'status',
       CASE
         WHEN h.user_id IS NULL OR h.user_id < 0 OR h.user_id IN (-1) THEN 'system'
         WHEN h.user_id = t.requester_id THEN 'customer'
         WHEN u.role IN ('agent', 'admin') THEN 'agent'
         WHEN u.role = 'end-user' THEN 'customer'
         ELSE 'system'
       END,
       h.user_id,
       CAST(NULL AS text),
       CAST(NULL AS text),
       CASE
         WHEN lower(h.value) IN ('hold', 'on-hold', 'on_hold') THEN 'on_hold'
         WHEN lower(h.value) IN ('new', 'open', 'pending', 'solved', 'closed', 'deleted') THEN lower(h.value)
         ELSE 'open'
       END
  FROM ticket_field_history h
  LEFT JOIN ticket t ON t.id = h.ticket_id
  LEFT JOIN "user" u ON u.id = h.user_id
 WHERE h.field_name = 'status'
UNION ALL
SELECT ((CAST(floor(extract(epoch FROM a.updated)) AS bigint) - 946684800) << 32)
         | 2147483648 | ((a.ticket_id & 134217727) << 4) | 2,
       a.ticket_id,
       a.updated,
       'assign',
       CASE
         WHEN a.user_id IS NULL OR a.user_id < 0 OR a.user_id IN (-1) THEN 'system'
         WHEN a.user_id = t.requester_id THEN 'customer'
         WHEN u.role IN ('agent', 'admin') THEN 'agent'
         WHEN u.role = 'end-user' THEN 'customer'
         ELSE 'system'
       END,
       a.user_id,
       COALESCE(g.name, a.group_value),
       a.assignee_value,
       CAST(NULL AS text)
  FROM (SELECT h.ticket_id,
               h.updated,
               max(h.user_id) AS user_id,
               (SELECT NULLIF(gh.value, '')
                  FROM ticket_field_history gh
                 WHERE gh.ticket_id = h.ticket_id AND gh.field_name = 'group_id' AND gh.updated <= h.updated
                 ORDER BY gh.updated DESC
                 LIMIT 1) AS group_value,
               (SELECT NULLIF(ah.value, '')
                  FROM ticket_field_history ah
                 WHERE ah.ticket_id = h.ticket_id AND ah.field_name = 'assignee_id' AND ah.updated <= h.updated
                 ORDER BY ah.updated DESC
                 LIMIT 1) AS assignee_value
          FROM ticket_field_history h
         WHERE h.field_name IN ('group_id', 'assignee_id')
         GROUP BY h.ticket_id, h.updated) a
  LEFT JOIN ticket t ON t.id = a.ticket_id
  LEFT JOIN "user" u ON u.id = a.user_id
  LEFT JOIN "group" g ON CAST(g.id AS text) = a.group_value
