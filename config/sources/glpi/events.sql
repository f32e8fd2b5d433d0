-- support_ticket_events from GLPI 10.0 (MariaDB / MySQL).  Every event is one
-- row of GLPI's history table glpi_logs (itemtype 'Ticket'), and its id is
-- glpi_logs.id: the one AUTO_INCREMENT sequence that receives a row for every
-- change the preset reads, so ids are unique and grow as rows arrive.
-- (Followups, tasks and solutions have their own id sequences; GLPI writes a
-- glpi_logs row for each of them -- ITILFollowup / CommonITILTask
-- post_addItem(), CommonDBChild::post_addItem() for ITILSolution -- so they
-- are read through that row and joined by the id it records.  Tradeoff: an
-- item without its log row -- inserted by SQL, or history purged by the
-- "purgelogs" task -- is not seen.)
--   linked_action 20 (Log::HISTORY_CREATE_ITEM): the ticket created -> a
--     status event at the ticket's date with its initial status (the
--     old_value of its first status change, else its current status), so a
--     ticket opened directly as processing / solved starts in that status;
--   linked_action 0, id_search_option 12 (the ticket's status field): a
--     status change, new_value the raw status code (mapped as in tickets.sql);
--   linked_action 15 (HISTORY_ADD_RELATION), id_search_option 5 (User) or
--     8 (Group): a technician / group added as assignee (Ticket_User and
--     Group_Ticket force these search-option ids); new_value is
--     "Name (id)".  Groups are teams.  Removals (HISTORY_DEL_RELATION 16) are
--     not read: GLPI 10.0 logs them with id_search_option 0, so a removed
--     assignee cannot be told from a removed requester; a reassignment is
--     "remove A, add B" and is seen through the addition of B.  Adding a
--     second technician (GLPI allows several) reads as a reassignment;
--   linked_action 17 (HISTORY_ADD_SUBITEM), itemtype_link 'ITILFollowup': a
--     followup -> message, or note when is_private;
--   itemtype_link 'TicketTask': a task -> note (tasks are work records, even
--     when public);
--   itemtype_link 'ITILSolution': a solution -> message (the requester sees
--     it and is asked to approve it; the status change to solved is its own
--     row, just before).
-- Who: the customer is one of the ticket's requesters (glpi_tickets_users
-- type 1).  A followup / task / solution is by its users_id: a requester ->
-- customer (users_id 0 counts when the ticket has an anonymous, e-mail-only
-- requester: the mail collector's anonymous followups); users_id 0 otherwise,
-- or the system user ('glpi-system', used by the pending-reason auto
-- followups and auto-solutions) -> bot; anyone else -> agent.  A status or
-- assignment change is by glpi_logs.user_name, "Name (id)" for a person
-- (parsed the way GLPI's own 9.3 migration does), "cron_<task>" for
-- automatic actions: no id or the system user -> system, a requester ->
-- customer (reopening by adding a followup to a solved ticket, approving
-- the solution: a customer-confirmed resolution), anyone else -> agent.
-- (Requesters are today's: a change by a former requester reads as an
-- agent's.  Impersonation is logged as "A (x) impersonated by B (y)" and
-- reads as B.)
-- Timestamps: UTC, see tickets.sql.  Followups / tasks use their own date,
-- solutions their creation date, log rows their date_mod.
SELECT l.id AS id,
       l.items_id AS ticket_id,
       DATE_ADD(TIMESTAMP '1970-01-01 00:00:00',
                INTERVAL UNIX_TIMESTAMP(COALESCE(t.date, t.date_creation, l.date_mod)) SECOND) AS occurred_at,
       'status' AS kind,
       CASE
         WHEN NOT (COALESCE(l.user_name, '') REGEXP '[(][0-9]+[)]$') THEN 'system'
         WHEN EXISTS (SELECT 1 FROM glpi_tickets_users r
                       WHERE r.tickets_id = l.items_id AND r.type = 1
                         AND r.users_id = CAST(SUBSTRING_INDEX(SUBSTRING_INDEX(l.user_name, '(', -1), ')', 1) AS UNSIGNED))
           THEN 'customer'
         WHEN su.id IS NOT NULL THEN 'system'
         ELSE 'agent'
       END AS actor,
       CAST(IF(l.user_name REGEXP '[(][0-9]+[)]$',
               CAST(SUBSTRING_INDEX(SUBSTRING_INDEX(l.user_name, '(', -1), ')', 1) AS UNSIGNED), NULL) AS CHAR) AS actor_id,
       NULL AS team,
       NULL AS agent_id,
       CASE CAST(COALESCE((SELECT s0.old_value
                             FROM glpi_logs s0
                            WHERE s0.itemtype = 'Ticket' AND s0.items_id = l.items_id
                              AND s0.linked_action = 0 AND s0.id_search_option = 12
                            ORDER BY s0.id
                            LIMIT 1),
                          t.status) AS UNSIGNED)
         WHEN 1 THEN 'new'
         WHEN 2 THEN 'open'
         WHEN 3 THEN 'open'
         WHEN 4 THEN 'pending'
         WHEN 5 THEN 'solved'
         WHEN 6 THEN 'closed'
         ELSE 'open'
       END AS status
  FROM glpi_logs l
  JOIN glpi_tickets t ON t.id = l.items_id
  LEFT JOIN glpi_users su
         ON l.user_name REGEXP '[(][0-9]+[)]$'
        AND su.id = CAST(SUBSTRING_INDEX(SUBSTRING_INDEX(l.user_name, '(', -1), ')', 1) AS UNSIGNED)
        AND su.name LIKE 'glpi-system%'
 WHERE l.itemtype = 'Ticket'
   AND l.linked_action = 20
UNION ALL
SELECT l.id,
       l.items_id,
       DATE_ADD(TIMESTAMP '1970-01-01 00:00:00', INTERVAL UNIX_TIMESTAMP(l.date_mod) SECOND),
       CASE l.linked_action WHEN 15 THEN 'assign' ELSE 'status' END,
       CASE
         WHEN NOT (COALESCE(l.user_name, '') REGEXP '[(][0-9]+[)]$') THEN 'system'
         WHEN EXISTS (SELECT 1 FROM glpi_tickets_users r
                       WHERE r.tickets_id = l.items_id AND r.type = 1
                         AND r.users_id = CAST(SUBSTRING_INDEX(SUBSTRING_INDEX(l.user_name, '(', -1), ')', 1) AS UNSIGNED))
           THEN 'customer'
         WHEN su.id IS NOT NULL THEN 'system'
         ELSE 'agent'
       END,
       CAST(IF(l.user_name REGEXP '[(][0-9]+[)]$',
               CAST(SUBSTRING_INDEX(SUBSTRING_INDEX(l.user_name, '(', -1), ')', 1) AS UNSIGNED), NULL) AS CHAR),
       CASE WHEN l.linked_action = 15 AND l.itemtype_link = 'Group'
            THEN COALESCE(NULLIF(g.completename, ''), g.name,
                          TRIM(SUBSTRING(l.new_value, 1, CHAR_LENGTH(l.new_value) - CHAR_LENGTH(SUBSTRING_INDEX(l.new_value, '(', -1)) - 1)))
       END,
       CASE WHEN l.linked_action = 15 AND l.itemtype_link = 'User'
            THEN CAST(CAST(SUBSTRING_INDEX(SUBSTRING_INDEX(l.new_value, '(', -1), ')', 1) AS UNSIGNED) AS CHAR)
       END,
       CASE WHEN l.linked_action = 0 THEN
         CASE CAST(l.new_value AS UNSIGNED)
           WHEN 1 THEN 'new'
           WHEN 2 THEN 'open'
           WHEN 3 THEN 'open'
           WHEN 4 THEN 'pending'
           WHEN 5 THEN 'solved'
           WHEN 6 THEN 'closed'
           ELSE 'open'
         END
       END
  FROM glpi_logs l
  LEFT JOIN glpi_users su
         ON l.user_name REGEXP '[(][0-9]+[)]$'
        AND su.id = CAST(SUBSTRING_INDEX(SUBSTRING_INDEX(l.user_name, '(', -1), ')', 1) AS UNSIGNED)
        AND su.name LIKE 'glpi-system%'
  LEFT JOIN glpi_groups g
         ON l.linked_action = 15 AND l.itemtype_link = 'Group'
        AND g.id = CAST(SUBSTRING_INDEX(SUBSTRING_INDEX(l.new_value, '(', -1), ')', 1) AS UNSIGNED)
 WHERE l.itemtype = 'Ticket'
   AND ((l.linked_action = 0 AND l.id_search_option = 12)
        OR (l.linked_action = 15 AND l.new_value REGEXP '[(][0-9]+[)]$'
            AND ((l.itemtype_link = 'User' AND l.id_search_option = 5)
                 OR (l.itemtype_link = 'Group' AND l.id_search_option = 8))))
UNION ALL
SELECT l.id,
       l.items_id,
       DATE_ADD(TIMESTAMP '1970-01-01 00:00:00',
                INTERVAL UNIX_TIMESTAMP(COALESCE(f.date, f.date_creation, l.date_mod)) SECOND),
       CASE WHEN f.is_private = 1 THEN 'note' ELSE 'message' END,
       CASE
         WHEN EXISTS (SELECT 1 FROM glpi_tickets_users r
                       WHERE r.tickets_id = f.items_id AND r.type = 1 AND r.users_id = f.users_id)
           THEN 'customer'
         WHEN f.users_id = 0 OR au.name LIKE 'glpi-system%' THEN 'bot'
         ELSE 'agent'
       END,
       CAST(NULLIF(f.users_id, 0) AS CHAR),
       NULL,
       NULL,
       NULL
  FROM glpi_logs l
  JOIN glpi_itilfollowups f
    ON f.id = CAST(IF(l.new_value REGEXP '[(][0-9]+[)]$',
                      SUBSTRING_INDEX(SUBSTRING_INDEX(l.new_value, '(', -1), ')', 1),
                      l.new_value) AS UNSIGNED)
   AND f.itemtype = 'Ticket'
   AND f.items_id = l.items_id
  LEFT JOIN glpi_users au ON au.id = f.users_id
 WHERE l.itemtype = 'Ticket'
   AND l.linked_action = 17
   AND l.itemtype_link = 'ITILFollowup'
UNION ALL
SELECT l.id,
       l.items_id,
       DATE_ADD(TIMESTAMP '1970-01-01 00:00:00',
                INTERVAL UNIX_TIMESTAMP(COALESCE(k.date, k.date_creation, l.date_mod)) SECOND),
       'note',
       CASE
         WHEN EXISTS (SELECT 1 FROM glpi_tickets_users r
                       WHERE r.tickets_id = k.tickets_id AND r.type = 1 AND r.users_id = k.users_id)
           THEN 'customer'
         WHEN k.users_id = 0 OR au.name LIKE 'glpi-system%' THEN 'bot'
         ELSE 'agent'
       END,
       CAST(NULLIF(k.users_id, 0) AS CHAR),
       NULL,
       NULL,
       NULL
  FROM glpi_logs l
  JOIN glpi_tickettasks k
    ON k.id = CAST(IF(l.new_value REGEXP '[(][0-9]+[)]$',
                      SUBSTRING_INDEX(SUBSTRING_INDEX(l.new_value, '(', -1), ')', 1),
                      l.new_value) AS UNSIGNED)
   AND k.tickets_id = l.items_id
  LEFT JOIN glpi_users au ON au.id = k.users_id
 WHERE l.itemtype = 'Ticket'
   AND l.linked_action = 17
   AND l.itemtype_link = 'TicketTask'
UNION ALL
SELECT l.id,
       l.items_id,
       DATE_ADD(TIMESTAMP '1970-01-01 00:00:00',
                INTERVAL UNIX_TIMESTAMP(COALESCE(s.date_creation, l.date_mod)) SECOND),
       'message',
       CASE
         WHEN EXISTS (SELECT 1 FROM glpi_tickets_users r
                       WHERE r.tickets_id = s.items_id AND r.type = 1 AND r.users_id = s.users_id)
           THEN 'customer'
         WHEN s.users_id = 0 OR au.name LIKE 'glpi-system%' THEN 'bot'
         ELSE 'agent'
       END,
       CAST(NULLIF(s.users_id, 0) AS CHAR),
       NULL,
       NULL,
       NULL
  FROM glpi_logs l
  JOIN glpi_itilsolutions s
    ON s.id = CAST(IF(l.new_value REGEXP '[(][0-9]+[)]$',
                      SUBSTRING_INDEX(SUBSTRING_INDEX(l.new_value, '(', -1), ')', 1),
                      l.new_value) AS UNSIGNED)
   AND s.itemtype = 'Ticket'
   AND s.items_id = l.items_id
  LEFT JOIN glpi_users au ON au.id = s.users_id
 WHERE l.itemtype = 'Ticket'
   AND l.linked_action = 17
   AND l.itemtype_link = 'ITILSolution'
