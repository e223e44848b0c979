// The short line under each recommended item, in the buyer's language. Pure.

export type RecLanguage = 'sw' | 'en';

export type Reason =
  | { kind: 'bought_together'; anchorTitle: string; buyers: number }
  | { kind: 'popular_near_you'; place: string | null; buyers: number }
  | { kind: 'buy_again'; orders: number }
  | { kind: 'recently_viewed' }
  | { kind: 'category_fallback'; category: string };

const CITY = 'Dar es Salaam';

export function reasonText(r: Reason, lang: RecLanguage): string {
  switch (r.kind) {
    case 'bought_together':
      return lang === 'sw'
        ? `Hununuliwa pamoja na ${r.anchorTitle} na wanunuzi ${r.buyers}`
        : `Bought with ${r.anchorTitle} by ${r.buyers} ${r.buyers === 1 ? 'buyer' : 'buyers'}`;
    case 'popular_near_you':
      return lang === 'sw' ? `Maarufu ${r.place ?? CITY}` : `Popular in ${r.place ?? CITY}`;
    case 'buy_again':
      return lang === 'sw'
        ? `Umenunua hii mara ${r.orders}`
        : `You bought this ${r.orders === 1 ? 'once' : `${r.orders} times`}`;
    case 'recently_viewed':
      return lang === 'sw' ? 'Uliitazama hivi karibuni' : 'You viewed this recently';
    case 'category_fallback':
      return lang === 'sw' ? `Mpya katika ${r.category}` : `New in ${r.category}`;
  }
}
