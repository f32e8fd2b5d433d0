-- Znuny's agents as support_agents (DESIGN.md §2), Znuny 6.x/7.x (OTRS 6
-- line), one text for MySQL/MariaDB and PostgreSQL (`users`, `group_user`,
-- `role_user`, `group_role`, `personal_queues` of scripts/database/
-- schema.*.sql).
--
-- agent_id: users.id, as the events name owners. team: a queue, as the
-- events name teams. Znuny has no home queue, so: the agent's first queue
-- in "My Queues" (personal_queues), else the first queue they may own (rw
-- or owner on its group, directly or through a valid role), valid queues
-- first and the installer's Postmaster/Raw/Junk/Misc (ids 1–4) last — every
-- agent has rights on their group, which would otherwise make Postmaster
-- everyone's team. Users with neither (pure admins) are not agents; user 1
-- is the installer's admin.
-- started_on: the account's creation. left_on: Znuny keeps no leaving date;
-- an account no longer valid (valid_id <> 1, which includes
-- "invalid-temporarily") is taken to have left on its last change
-- (change_time, which UserUpdate sets), an approximation: editing an
-- invalid account later moves it.
SELECT a.agent_id, a.team, a.started_on, a.left_on
  FROM (SELECT CONCAT('', u.id) AS agent_id,
               COALESCE(
                 (SELECT q.name
                    FROM personal_queues pq
                    JOIN queue q ON q.id = pq.queue_id
                   WHERE pq.user_id = u.id
                   ORDER BY CASE WHEN q.valid_id = 1 THEN 0 ELSE 1 END, q.id
                   LIMIT 1),
                 (SELECT q.name
                    FROM queue q
                   WHERE q.group_id IN (SELECT gu.group_id
                                          FROM group_user gu
                                         WHERE gu.user_id = u.id
                                           AND gu.permission_key IN ('rw', 'owner'))
                      OR q.group_id IN (SELECT gr.group_id
                                          FROM role_user ru
                                          JOIN roles r ON r.id = ru.role_id AND r.valid_id = 1
                                          JOIN group_role gr ON gr.role_id = ru.role_id
                                                            AND gr.permission_key IN ('rw', 'owner')
                                                            AND gr.permission_value = 1
                                         WHERE ru.user_id = u.id)
                   ORDER BY CASE WHEN q.valid_id = 1 THEN 0 ELSE 1 END,
                            CASE WHEN q.id <= 4 THEN 1 ELSE 0 END,
                            q.id
                   LIMIT 1)) AS team,
               CAST(u.create_time AS DATE) AS started_on,
               CASE WHEN u.valid_id <> 1 THEN CAST(u.change_time AS DATE) END AS left_on
          FROM users u
         WHERE u.id <> 1) a
 WHERE a.team IS NOT NULL
