-- support_ticket_events from osTicket (MySQL >= 5.7.8 / MariaDB >= 10.2.3,
-- for JSON_VALID/JSON_EXTRACT). Table prefix `ost_` is substituted by the
-- tool. Only ticket threads (ost_thread.object_type 'T') are read; task
-- threads ('A') and threads of tickets merged into another ('C') are not.
--
-- Two sources, UNION ALL:
-- 1. ost_thread_entry (include/class.thread.php ThreadEntry): type M = message
--    from the user (or a collaborator), R = response (agent reply),
--    N = internal note. An R with staff_id 0 is the canned auto-reply posted
--    by Ticket::postCannedReply (poster 'SYSTEM (Canned Reply)', flag
--    FLAG_SYSTEM 0x80): actor bot. N with staff_id 0 are system notes
--    (poster 'SYSTEM'): actor system. The new-ticket/new-message auto-response
--    *emails* are never stored in the thread at all. The original message
--    (FLAG_ORIGINAL_MESSAGE 0x1) of a ticket an agent opened in the staff
--    panel is stored as an M of the end user, but the agent typed it: it is
--    emitted as the agent's. Entries hidden by an edit (FLAG_HIDDEN 0x4) are
--    skipped; the edited copy keeps the original `created`.
-- 2. ost_thread_event + ost_event (ThreadEvents::log; names from event.yaml):
--    * created     -> assign: the department at creation is the first team
--                     (dept_id is the ticket's at logging time). Its staff_id
--                     is NOT an assignee: ThreadEvent::forTicket() puts the
--                     acting agent there when the ticket is unassigned, so
--                     agent_id stays null; auto-assignment follows as an
--                     `assigned` event.
--    * transferred -> assign, team = the new department (logged after
--                     Ticket::transfer() saved dept_id; data {"dept":"name"}
--                     in newer versions, absent in older ones).
--    * assigned    -> assign, agent_id = the new assignee: data
--                     {"staff":[id,"name"]} (Ticket::assign), {"staff":id}
--                     (assignToStaff: auto-assign, claim-on-open), or
--                     {"claim":true} (the actor took it: uid). Team-only
--                     assignments ({"team":id}) are skipped: osTicket teams
--                     are assignee groups, departments are the routing unit.
--    * closed      -> status from data {"status":[id,"name"]} mapped by the
--                     status's state (solved for closed/resolved states).
--    * reopened    -> status open.
--    * edited with data {"status":id} -> status (a change between statuses of
--                     the same state, e.g. Open -> a custom "Pending").
--    Skipped: released (unassignment cannot be expressed), referred (access
--    grant, not a transfer), overdue, collab, viewed, resent, error, deleted,
--    merged/linked/unlinked, other `edited` data (fields, topic, SLA...).
--    `annulled` is NOT filtered: reopening sets annulled = 1 on all earlier
--    `closed` events of the thread, which are still real solves.
--    actor: uid_type 'S' with uid = the agent; 'U' with uid = the end user;
--    uid NULL = system (email pipeline, cron, ticket filters; also actions of
--    a logged-in portal user, whose session object is not a User model, so
--    ThreadEvent::create() leaves uid NULL - a limitation).
--
-- id: thread_entry and thread_event have separate auto_increment sequences,
-- so neither raw id (nor id*2 / id*2+1) grows across both as rows arrive.
-- The id is keyed by time instead:
--     unix_seconds(UTC of the row's timestamp) * 2^24
--   + source bit * 2^23 (0 = thread_entry, 1 = thread_event)
--   + (row id MOD 2^23)
-- Unique (a table would need 2^23 rows in one second to collide), fits a
-- signed BIGINT far past 2038, and increases with the insertion time
-- (osTicket stamps every row with NOW() at insert). Within one second,
-- entries sort before events (a reply is saved before the status change it
-- triggers). It is not strictly monotone: a row committed after a later-
-- stamped row became visible, a DST fall-back hour on a non-UTC server, or
-- an edit copy (which keeps the old `created`) land below the watermark.
-- Ids are cast: `id` to a signed BIGINT (the arithmetic yields BIGINT
-- UNSIGNED), actor_id / agent_id to text (staff and end users are separate
-- id spaces; `actor` tells which).
-- Readers should re-read an overlap (e.g. watermark - 600 * 2^24) and rely
-- on id uniqueness. Being computed, the id is not indexed: incremental
-- reads scan both tables.
SELECT CAST(TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', CONVERT_TZ(e.created, 'SYSTEM', '+00:00')) * 16777216
         + (e.id MOD 8388608) AS SIGNED) AS id,
       th.object_id AS ticket_id,
       CONVERT_TZ(e.created, 'SYSTEM', '+00:00') AS occurred_at,
       CASE WHEN e.type = 'N' THEN 'note' ELSE 'message' END AS kind,
       CASE
         WHEN cr.uid IS NOT NULL THEN 'agent'
         WHEN e.type IN ('R', 'N') AND e.staff_id > 0 THEN 'agent'
         WHEN e.type = 'R' THEN 'bot'
         WHEN e.type = 'N' AND e.user_id > 0 THEN 'customer'
         WHEN e.type = 'N' THEN 'system'
         ELSE 'customer'
       END AS actor,
       CAST(CASE
         WHEN cr.uid IS NOT NULL THEN cr.uid
         WHEN e.staff_id > 0 THEN e.staff_id
         WHEN e.user_id > 0 THEN e.user_id
       END AS CHAR) AS actor_id,
       NULL AS team,
       NULL AS agent_id,
       NULL AS status
  FROM ost_thread_entry e
  JOIN ost_thread th ON th.id = e.thread_id AND th.object_type = 'T'
  LEFT JOIN (SELECT ce.thread_id, MIN(ce.uid) AS uid
               FROM ost_thread_event ce
               JOIN ost_event cev ON cev.id = ce.event_id AND cev.name = 'created'
              WHERE ce.uid_type = 'S' AND ce.uid IS NOT NULL
              GROUP BY ce.thread_id) cr
         ON cr.thread_id = e.thread_id AND e.type = 'M' AND (e.flags & 1) <> 0
 WHERE (e.flags & 4) = 0
UNION ALL
SELECT CAST(TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', CONVERT_TZ(te.timestamp, 'SYSTEM', '+00:00')) * 16777216
         + 8388608 + (te.id MOD 8388608) AS SIGNED),
       th.object_id,
       CONVERT_TZ(te.timestamp, 'SYSTEM', '+00:00'),
       CASE WHEN ev.name IN ('created', 'transferred', 'assigned') THEN 'assign' ELSE 'status' END,
       CASE
         WHEN te.uid IS NULL THEN 'system'
         WHEN te.uid_type = 'U' THEN 'customer'
         ELSE 'agent'
       END,
       CAST(te.uid AS CHAR),
       CASE WHEN ev.name IN ('created', 'transferred') THEN d.name END,
       CAST(CASE WHEN ev.name = 'assigned' THEN
         CASE
           WHEN (CASE WHEN JSON_VALID(te.data) THEN JSON_EXTRACT(te.data, '$.staff') END) IS NOT NULL
             THEN CAST(JSON_UNQUOTE(JSON_EXTRACT(te.data, '$.staff[0]')) AS UNSIGNED)
           WHEN (CASE WHEN JSON_VALID(te.data) THEN JSON_EXTRACT(te.data, '$.claim') END) IS NOT NULL
             THEN te.uid
           ELSE NULLIF(te.staff_id, 0)
         END
       END AS CHAR),
       CASE
         WHEN ev.name = 'reopened' THEN 'open'
         WHEN ev.name NOT IN ('closed', 'edited') THEN NULL
         WHEN st.id IS NULL THEN CASE ev.name WHEN 'closed' THEN 'solved' ELSE 'open' END
         WHEN st.state = 'deleted' THEN 'deleted'
         WHEN st.state = 'archived' THEN 'closed'
         WHEN st.state IN ('closed', 'resolved') THEN 'solved'
         WHEN lower(st.name) LIKE '%pending%' OR lower(st.name) LIKE '%await%'
           OR lower(st.name) LIKE '%waiting%' THEN 'pending'
         WHEN lower(st.name) LIKE '%hold%' THEN 'on_hold'
         ELSE 'open'
       END
  FROM ost_thread_event te
  JOIN ost_event ev ON ev.id = te.event_id
  JOIN ost_thread th ON th.id = te.thread_id AND th.object_type = 'T'
  LEFT JOIN ost_department d ON d.id = te.dept_id
  LEFT JOIN ost_ticket_status st
         ON st.id = CASE WHEN ev.name IN ('closed', 'edited') AND JSON_VALID(te.data)
                         THEN CAST(JSON_UNQUOTE(JSON_EXTRACT(te.data, '$.status[0]')) AS UNSIGNED) END
 WHERE ev.name IN ('created', 'transferred', 'assigned', 'closed', 'reopened', 'edited')
   AND (ev.name <> 'edited'
        OR (CASE WHEN JSON_VALID(te.data) THEN JSON_EXTRACT(te.data, '$.status') END) IS NOT NULL)
   AND (ev.name <> 'assigned'
        OR (CASE WHEN JSON_VALID(te.data) THEN JSON_EXTRACT(te.data, '$.team') END) IS NULL
        OR (CASE WHEN JSON_VALID(te.data) THEN COALESCE(JSON_EXTRACT(te.data, '$.staff'),
                                                       JSON_EXTRACT(te.data, '$.claim')) END) IS NOT NULL)
