// Network partitions through the `fault` admin op: a partition is drop lists on both sides (SPEC).
import type { TestCluster } from './cluster.ts';

type FaultAnswer = { ok: boolean; error?: { code: string; message: string } };

/** Every member hears nothing from, and sends nothing to, the members of the other sides. */
export async function partition(cluster: TestCluster, sides: readonly (readonly string[])[], timeoutMs = 5000): Promise<void> {
  await Promise.all(
    sides.flatMap((side, i) => {
      const others = sides.filter((_, j) => j !== i).flat();
      return side.map((id) => fault(cluster, id, { set: { dropTo: others, dropFrom: others } }, timeoutMs));
    }),
  );
}

/** Clears every fault of each member in `ids`. */
export async function heal(cluster: TestCluster, ids: readonly string[], timeoutMs = 5000): Promise<void> {
  await Promise.all(ids.map((id) => fault(cluster, id, { clear: true }, timeoutMs)));
}

async function fault(cluster: TestCluster, id: string, body: object, timeoutMs: number): Promise<void> {
  const answer = await (await cluster.admin(id)).request<FaultAnswer>({ op: 'fault', ...body }, timeoutMs);
  if (!answer.ok) throw new Error(`fault ${JSON.stringify(body)} on ${id} failed: ${JSON.stringify(answer.error)}`);
}
