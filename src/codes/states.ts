// USPS state and territory codes accepted in addresses (50 states, DC, territories, military).
export const US_STATES = new Set(
  'AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY AS GU MP PR VI UM AA AE AP'.split(' '),
);

export function isUsState(code: string): boolean {
  return US_STATES.has(code.toUpperCase());
}
