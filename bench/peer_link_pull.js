// The pouchdb peer's first sync through the link emulator (bench/village_link.py, issue #20): a new PouchDB on
// the phone side replicates a whole territory from pouchdb-server, with the replicator's own protocol
// (_changes, revs_diff, _bulk_get, checkpoints). A connection the link resets fails the replication; it is
// started again at once and goes on from its checkpoint, as RouteCRM's phone goes on from its cursor.
// usage: node peer_link_pull.js <dbUrl> <localDir> <batchSize>   (NODE_PATH: the peer's node_modules)
const PouchDB = require('pouchdb-node');
const [url, dir, batch] = process.argv.slice(2);
(async () => {
  const local = new PouchDB(dir);
  const started = performance.now();
  let attempts = 0, peak = 0;
  const sample = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 100);
  for (;;) {
    attempts++;
    try { await local.replicate.from(url, { batch_size: +batch }); break; }
    catch (error) { if (attempts >= 50) throw error; console.error(`attempt ${attempts}: ${error}`); }
  }
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sample);
  const docs = (await local.info()).doc_count;
  console.log(JSON.stringify({ seconds, attempts, docs, peak_bytes: peak }));
})().catch(error => { console.error(error); process.exit(1); });
