-- support_tickets from osTicket (MySQL / MariaDB; osTicket has no
-- PostgreSQL support). Table names use the default prefix `ost_`; the tool
-- substitutes the configured TABLE_PREFIX.
-- Timestamps: osTicket writes DATETIME with NOW() on a session whose
-- time_zone is forced to 'SYSTEM' (include/mysqli.php), i.e. wall-clock time
-- of the DB server's OS zone; CONVERT_TZ(x, 'SYSTEM', '+00:00') turns them
-- into UTC whatever the reading session's time_zone is (a no-op when the
-- server runs in UTC; ambiguous during a DST fall-back hour otherwise).
-- * status maps the status's *state* (so renamed/added statuses keep their
--   meaning): closed (Resolved, Closed, any custom closed status) and the
--   development-branch state 'resolved' -> solved (a closed ticket can be
--   reopened, like Zammad's closed); archived -> closed; deleted -> deleted;
--   open -> pending when the status name says pending / await / waiting,
--   on_hold when it says hold, else open (osTicket has no pending state:
--   admins add open-state statuses such as "Pending"). A ticket merged into
--   another (its thread became object_type 'C') counts as deleted.
--   Hard-deleted tickets are gone from ost_ticket.
-- * priority is the answer of the Ticket Details form field named
--   `priority` (ost_form_entry_values.value_id -> ost_ticket_priority):
--   default names low, normal, high, emergency (-> urgent), or any name
--   containing urgent/emergency/critical, high, low; none -> normal (osTicket
--   would show the configured default priority).
-- * channel is ost_ticket.source: Email, Phone, Web; API and Other -> web.
-- * category is the help topic, as "Parent / Child" like
--   Topic::getHelpTopics() (one level of parent).
-- * created_by: agent when the ticket's `created` thread event was logged by
--   a staff member (uid_type 'S': Ticket::create logs it with $thisstaff,
--   i.e. "Open a New Ticket" in the staff panel); customer otherwise (web
--   portal, email, API: uid_type 'U').
-- * updated_at is the later of `updated` and `lastupdate`.
SELECT t.ticket_id AS id,
       CONVERT_TZ(t.created, 'SYSTEM', '+00:00') AS created_at,
       CASE t.source
         WHEN 'Email' THEN 'email'
         WHEN 'Phone' THEN 'phone'
         ELSE 'web'
       END AS channel,
       CASE
         WHEN pr.priority IS NULL THEN 'normal'
         WHEN lower(pr.priority) LIKE '%urgent%' OR lower(pr.priority) LIKE '%emergency%'
           OR lower(pr.priority) LIKE '%critical%' THEN 'urgent'
         WHEN lower(pr.priority) LIKE '%high%' THEN 'high'
         WHEN lower(pr.priority) LIKE '%low%' THEN 'low'
         ELSE 'normal'
       END AS priority,
       CASE
         WHEN pt.topic IS NOT NULL THEN CONCAT(pt.topic, ' / ', ht.topic)
         ELSE ht.topic
       END AS category,
       t.user_id AS requester_id,
       CASE
         WHEN EXISTS (SELECT 1
                        FROM ost_thread_event ce
                        JOIN ost_event cev ON cev.id = ce.event_id AND cev.name = 'created'
                       WHERE ce.thread_id = th.id
                         AND ce.uid_type = 'S' AND ce.uid IS NOT NULL)
         THEN 'agent'
         ELSE 'customer'
       END AS created_by,
       CASE
         WHEN th.object_type = 'C' THEN 'deleted'
         WHEN s.state = 'deleted' THEN 'deleted'
         WHEN s.state = 'archived' THEN 'closed'
         WHEN s.state IN ('closed', 'resolved') THEN 'solved'
         WHEN lower(s.name) LIKE '%pending%' OR lower(s.name) LIKE '%await%'
           OR lower(s.name) LIKE '%waiting%' THEN 'pending'
         WHEN lower(s.name) LIKE '%hold%' THEN 'on_hold'
         ELSE 'open'
       END AS status,
       CONVERT_TZ(GREATEST(t.updated, COALESCE(t.lastupdate, t.updated)), 'SYSTEM', '+00:00') AS updated_at
  FROM ost_ticket t
  LEFT JOIN ost_ticket_status s ON s.id = t.status_id
  LEFT JOIN ost_thread th ON th.object_id = t.ticket_id AND th.object_type IN ('T', 'C')
  LEFT JOIN ost_help_topic ht ON ht.topic_id = t.topic_id
  LEFT JOIN ost_help_topic pt ON pt.topic_id = ht.topic_pid AND ht.topic_pid <> 0
  LEFT JOIN ost_ticket_priority pr ON pr.priority_id = (
         SELECT v.value_id
           FROM ost_form_entry fe
           JOIN ost_form_entry_values v ON v.entry_id = fe.id
           JOIN ost_form_field f ON f.id = v.field_id AND f.name = 'priority'
          WHERE fe.object_type = 'T' AND fe.object_id = t.ticket_id
            AND v.value_id IS NOT NULL
          ORDER BY fe.id
          LIMIT 1)
