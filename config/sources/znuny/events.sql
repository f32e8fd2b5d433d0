-- support_ticket_events from Znuny (OTRS 6 line: 6.x, 7.x), MariaDB/MySQL and
-- PostgreSQL (one text for both). Every event is one row of ticket_history, whose
-- autoincrement id grows as rows arrive: the event id is 2 * ticket_history.id
-- (2 * id + 1 for the second event a NewTicket row can yield), one increasing
-- sequence, so the watermark needs no other source.
-- Znuny's HistoryAdd (Kernel/System/Ticket.pm) writes on every row a snapshot of
-- the ticket AFTER the change: queue_id, owner_id, state_id, priority_id, type_id.
-- * An article: ArticleCreate (Ticket/Article/Backend/MIMEBase.pm) writes a history
--   row carrying its article_id (EmailCustomer, FollowUp, WebRequestCustomer,
--   PhoneCallCustomer, SendAnswer, EmailAgent, AddNote, SendAutoReply, ...); the
--   FIRST history row of an article is its creation (later rows with the same
--   article_id -- StateUpdate, TimeAccounting, Bounce -- are not). A message when
--   is_visible_for_customer, else a note; sender customer -> customer (actor_id =
--   the ticket's customer user), agent -> agent, system (auto replies, customer
--   notifications) -> bot. This is Znuny's own first-response rule too
--   (_TicketGetFirstResponse: sender 'agent' and visible for the customer).
-- * NewTicket: the first assignment (team = queue, agent = owner); when the ticket
--   was created in a state other than new (phone/email tickets get their next
--   state at creation) also a status event, id 2 * id + 1.
-- * Move (queue change) and OwnerUpdate (owner change): assign events carrying the
--   whole snapshot, team and agent; the engine counts only actual changes, so a
--   Move with a comment and no queue change counts nothing.
-- * StateUpdate: a status event; state_id is the new state, mapped by its type as
--   in tickets.sql (closed -> solved, pending reminder/auto -> pending, merged and
--   removed -> deleted).
-- Owner 1 (root@localhost, the installer's admin) is Znuny's "nobody": the owner of
-- unassigned tickets (TicketOwnerList skips it) -> agent_id NULL (= unchanged).
-- User 1 is also the PostmasterUserID and CustomerPanelUserID: changes by it are
-- the system's, except a state change by user 1 followed within 2 seconds by a
-- customer article of the same user 1 on the ticket -- a customer's email follow-up
-- reopening it (PostMaster/FollowUp.pm) or a customer closing/reopening it in the
-- customer interface (CustomerTicketZoom.pm): both set the state, then create the
-- article. Those are the customer's (customer-confirmed resolutions).
-- TicketMerge moves the merged ticket's article history rows to the main ticket
-- (UPDATE ticket_history ... change_time = current_timestamp): their snapshots
-- describe the other ticket, so assign/status events skip rows whose change_time
-- differs from create_time; their articles stay messages of the main ticket, unless
-- older than it.
-- Times in Znuny's OTRSTimeZone (default UTC): see tickets.sql.
SELECT 2 * h.id AS id,
       a.ticket_id AS ticket_id,
       a.create_time AS occurred_at,
       CASE WHEN a.is_visible_for_customer = 1 THEN 'message' ELSE 'note' END AS kind,
       CASE snd.name
         WHEN 'customer' THEN 'customer'
         WHEN 'agent' THEN 'agent'
         ELSE 'bot'
       END AS actor,
       CASE
         WHEN snd.name = 'customer' THEN COALESCE(t.customer_user_id, t.customer_id)
         ELSE CONCAT('', a.create_by)
       END AS actor_id,
       NULL AS team,
       NULL AS agent_id,
       NULL AS status
  FROM ticket_history h
  JOIN article a ON a.id = h.article_id
  JOIN article_sender_type snd ON snd.id = a.article_sender_type_id
  JOIN ticket t ON t.id = a.ticket_id
 WHERE NOT EXISTS (SELECT 1
                     FROM ticket_history h0
                    WHERE h0.article_id = h.article_id
                      AND h0.id < h.id)
   AND a.create_time >= t.create_time
UNION ALL
SELECT 2 * h.id,
       h.ticket_id,
       h.create_time,
       'assign',
       CASE WHEN h.create_by = 1 THEN 'system' ELSE 'agent' END,
       CONCAT('', h.create_by),
       q.name,
       CASE WHEN h.owner_id = 1 THEN NULL ELSE CONCAT('', h.owner_id) END,
       NULL
  FROM ticket_history h
  JOIN ticket_history_type ht ON ht.id = h.history_type_id
                             AND ht.name IN ('NewTicket', 'Move', 'OwnerUpdate')
  JOIN queue q ON q.id = h.queue_id
 WHERE h.change_time = h.create_time
UNION ALL
SELECT 2 * h.id + 1,
       h.ticket_id,
       h.create_time,
       'status',
       CASE WHEN h.create_by = 1 THEN 'system' ELSE 'agent' END,
       CONCAT('', h.create_by),
       NULL,
       NULL,
       CASE
         WHEN st.name IN ('merged', 'removed') THEN 'deleted'
         WHEN st.name = 'closed' THEN 'solved'
         WHEN st.name LIKE 'pending%' THEN 'pending'
         ELSE 'open'
       END
  FROM ticket_history h
  JOIN ticket_history_type ht ON ht.id = h.history_type_id AND ht.name = 'NewTicket'
  JOIN ticket_state s ON s.id = h.state_id
  JOIN ticket_state_type st ON st.id = s.type_id AND st.name <> 'new'
UNION ALL
SELECT 2 * x.id,
       x.ticket_id,
       x.create_time,
       'status',
       CASE
         WHEN x.by_customer = 1 THEN 'customer'
         WHEN x.create_by = 1 THEN 'system'
         ELSE 'agent'
       END,
       CASE WHEN x.by_customer = 1 THEN x.requester ELSE CONCAT('', x.create_by) END,
       NULL,
       NULL,
       x.status
  FROM (SELECT h.id,
               h.ticket_id,
               h.create_time,
               h.create_by,
               COALESCE(t.customer_user_id, t.customer_id) AS requester,
               CASE
                 WHEN h.create_by = 1 AND EXISTS (
                        SELECT 1
                          FROM article ca
                          JOIN article_sender_type cs ON cs.id = ca.article_sender_type_id
                                                     AND cs.name = 'customer'
                         WHERE ca.ticket_id = h.ticket_id
                           AND ca.create_by = h.create_by
                           AND ca.create_time >= h.create_time
                           AND ca.create_time <= h.create_time + INTERVAL '2' SECOND)
                 THEN 1 ELSE 0
               END AS by_customer,
               CASE
                 WHEN st.name IN ('merged', 'removed') THEN 'deleted'
                 WHEN st.name = 'new' THEN 'new'
                 WHEN st.name = 'closed' THEN 'solved'
                 WHEN st.name LIKE 'pending%' THEN 'pending'
                 ELSE 'open'
               END AS status
          FROM ticket_history h
          JOIN ticket_history_type ht ON ht.id = h.history_type_id AND ht.name = 'StateUpdate'
          JOIN ticket_state s ON s.id = h.state_id
          JOIN ticket_state_type st ON st.id = s.type_id
          JOIN ticket t ON t.id = h.ticket_id
         WHERE h.change_time = h.create_time) x
