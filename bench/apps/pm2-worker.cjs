'use strict';
/** The pm2 script: pm2 requires it inside its own container, so it runs on load; pm2's instance number is the id. */
require('./standalone.cjs').run(Number(process.env.NODE_APP_INSTANCE || 0));
