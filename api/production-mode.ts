/**
 * graphql-js reads NODE_ENV once, when it is loaded, and unless it is `production` it checks
 * every failed `instanceof` of its validation for a second copy of itself: a development aid
 * that took 36% of the CPU of accepting the largest document the limits let through (1,600
 * aliased fields, 44 ms against 28). The API process runs as production unless NODE_ENV says
 * otherwise; api/main.ts imports this first, before anything loads graphql.
 */
process.env.NODE_ENV ??= 'production';
