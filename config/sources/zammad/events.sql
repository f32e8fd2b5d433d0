-- support_ticket_events from Zammad (PostgreSQL), one per row of its
-- `histories` table, whose id grows as rows arrive:
-- * an article created: a message (a note when internal) by the customer,
--   an agent, or the system (triggers, auto-replies: the bot);
-- * the ticket created: its first assignment, to the group and owner it
--   had before any later change;
-- * state, group and owner updates: status changes (mapped like the
--   tickets' status) and re-routes (groups are teams) or reassignments.
-- Zammad's user 1 is the system: its changes are the system's, and owner 1
-- means "nobody". A change made by the ticket's own customer (closing it in
-- the customer portal) is the customer's: a customer-confirmed resolution.
-- (The ticket's current customer: a change made by an earlier customer of
-- a ticket moved to another one reads as an agent's.)
SELECT h.id AS id,
       a.ticket_id AS ticket_id,
       a.created_at AS occurred_at,
       CASE WHEN a.internal THEN 'note' ELSE 'message' END AS kind,
       CASE snd.name WHEN 'Customer' THEN 'customer' WHEN 'Agent' THEN 'agent' ELSE 'bot' END AS actor,
       a.created_by_id AS actor_id,
       CAST(NULL AS text) AS team,
       CAST(NULL AS bigint) AS agent_id,
       CAST(NULL AS text) AS status
  FROM histories h
  JOIN history_types ht ON ht.id = h.history_type_id AND ht.name = 'created'
  JOIN history_objects ho ON ho.id = h.history_object_id AND ho.name = 'Ticket::Article'
  JOIN ticket_articles a ON a.id = h.o_id
  JOIN ticket_article_senders snd ON snd.id = a.sender_id
UNION ALL
SELECT h.id,
       t.id,
       t.created_at,
       'assign',
       'system',
       h.created_by_id,
       COALESCE(
         (SELECT g0.name
            FROM histories gh
            JOIN history_attributes ga ON ga.id = gh.history_attribute_id AND ga.name = 'group'
            JOIN groups g0 ON g0.id = gh.id_from
           WHERE gh.o_id = t.id AND gh.history_object_id = h.history_object_id
           ORDER BY gh.id
           LIMIT 1),
         g.name),
       NULLIF(
         COALESCE(
           (SELECT oh.id_from
              FROM histories oh
              JOIN history_attributes oa ON oa.id = oh.history_attribute_id AND oa.name = 'owner'
             WHERE oh.o_id = t.id AND oh.history_object_id = h.history_object_id
             ORDER BY oh.id
             LIMIT 1),
           t.owner_id),
         1),
       NULL
  FROM histories h
  JOIN history_types ht ON ht.id = h.history_type_id AND ht.name = 'created'
  JOIN history_objects ho ON ho.id = h.history_object_id AND ho.name = 'Ticket'
  JOIN tickets t ON t.id = h.o_id
  JOIN groups g ON g.id = t.group_id
UNION ALL
SELECT h.id,
       h.o_id,
       h.created_at,
       CASE ha.name WHEN 'state' THEN 'status' ELSE 'assign' END,
       CASE
         WHEN h.created_by_id = 1 THEN 'system'
         WHEN h.created_by_id = tk.customer_id THEN 'customer'
         ELSE 'agent'
       END,
       h.created_by_id,
       CASE ha.name WHEN 'group' THEN COALESCE(g.name, h.value_to) END,
       CASE ha.name WHEN 'owner' THEN NULLIF(h.id_to, 1) END,
       CASE ha.name WHEN 'state' THEN
         CASE st.name
           WHEN 'new' THEN 'new'
           WHEN 'closed' THEN 'solved'
           WHEN 'merged' THEN 'deleted'
           WHEN 'removed' THEN 'deleted'
           WHEN 'pending reminder' THEN 'pending'
           WHEN 'pending action' THEN 'pending'
           ELSE 'open'
         END
       END
  FROM histories h
  JOIN history_types ht ON ht.id = h.history_type_id AND ht.name = 'updated'
  JOIN history_objects ho ON ho.id = h.history_object_id AND ho.name = 'Ticket'
  JOIN history_attributes ha ON ha.id = h.history_attribute_id AND ha.name IN ('state', 'group', 'owner')
  LEFT JOIN tickets tk ON tk.id = h.o_id
  LEFT JOIN groups g ON ha.name = 'group' AND g.id = h.id_to
  LEFT JOIN ticket_states s ON ha.name = 'state' AND s.id = h.id_to
  LEFT JOIN ticket_state_types st ON st.id = s.state_type_id
