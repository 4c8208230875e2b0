/** Every system in the order they run and appear in the report; supervise first. */
import { cluster } from './cluster.mjs';
import { pm2 } from './pm2.mjs';
import { supervise, superviseSpares } from './supervise.mjs';
import { supervisord } from './supervisord.mjs';
import { throng } from './throng.mjs';
import { unicorn, unicornPreload } from './unicorn.mjs';

/** All systems. */
export const SYSTEMS = [supervise, superviseSpares, cluster, throng, pm2, unicornPreload, unicorn, supervisord];
